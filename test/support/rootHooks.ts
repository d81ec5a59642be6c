// Mocha root hooks: after the whole run, drop the PostgreSQL schemas the tests named (TEST_STORAGE=postgres).
import { dropSchema, namedSchemas, onPostgres } from './testStorage.js';

export const mochaHooks = {
  async afterAll(): Promise<void> {
    if (!onPostgres) return;
    for (const schema of namedSchemas) await dropSchema(schema).catch(() => {});
  },
};
