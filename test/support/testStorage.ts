// Which engine the tests run on: SQLite files by default, PostgreSQL (one schema per test folder) with
// TEST_STORAGE=postgres. `npm test` runs the storage-touching suites both ways.
import { createHash } from 'node:crypto';
import pg from 'pg';
import { TEST_DATABASE_URL, urlForSchema } from './postgres.js';

export const onPostgres = process.env.TEST_STORAGE === 'postgres';

/**
 * Skips the enclosing describe outside the PostgreSQL pass, saying why: what it tests needs several processes (or
 * writers) on one database, which a SQLite file does not have. `why` defaults to that.
 */
export function onlyOnPostgres(why = 'SQLite is one process to a file'): void {
  before(function () {
    if (onPostgres) return;
    console.log(`      skipped: this runs in the PostgreSQL pass (TEST_STORAGE=postgres): ${why}`);
    this.skip();
  });
}

/** Schemas this process named, dropped after the run (test/support/rootHooks.ts). */
export const namedSchemas = new Set<string>();

/**
 * The schema of the app rooted in `dir`: derived from the folder, so a child process or a restart on the same
 * folder reaches the same data, as it would the same SQLite file.
 */
export function schemaFor(dir: string): string {
  const schema = `t_${createHash('sha256').update(dir).digest('hex').slice(0, 16)}`;
  namedSchemas.add(schema);
  return schema;
}

/** The environment that points an app rooted in `dir` at its database, on the engine of this run. */
export function databaseEnv(dir: string, file: string): Record<string, string> {
  return onPostgres ? { DATABASE_URL: urlForSchema(schemaFor(dir)) } : { DATABASE_PATH: file };
}

/** Drops a test schema and everything in it (a no-op when it was never made). */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
