// Mocha root hooks for the PostgreSQL pass (TEST_STORAGE=postgres): no server, no pass (a skip with the reason
// outside CI, a failure on CI); after the run, drop the schemas the tests named.
import { requirePostgres } from './postgres.js';
import { dropSchema, namedSchemas, onPostgres } from './testStorage.js';

export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    if (onPostgres) await requirePostgres(this);
  },
  async afterAll(): Promise<void> {
    if (!onPostgres) return;
    for (const schema of namedSchemas) await dropSchema(schema).catch(() => {});
  },
};
