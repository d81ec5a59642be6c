// PostgreSQL for the tests: is it there, a fresh schema per test, and a skip (a failure on CI) when it is not.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let admin: pg.Pool | undefined;

/** One small pool for creating and dropping schemas and looking at pg_locks; closed by closeAdmin(). */
function adminPool(): pg.Pool {
  if (!admin) {
    admin = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 2 });
    admin.on('error', () => {}); // an idle connection dropped by the server is replaced, not fatal
  }
  return admin;
}

export async function closeAdmin(): Promise<void> {
  const pool = admin;
  admin = undefined;
  await pool?.end();
}

/** host:port/database of the test server, never its password. */
function where(): string {
  const url = new URL(TEST_DATABASE_URL);
  return `${url.hostname}:${url.port || 5432}${url.pathname}`;
}

export async function postgresAvailable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** In a `before` hook: skips the suite when PostgreSQL does not answer, or fails it when CI=true. */
export async function requirePostgres(context: Mocha.Context): Promise<void> {
  if (await postgresAvailable()) return;
  const reason = `PostgreSQL does not answer at ${where()} (set TEST_DATABASE_URL)`;
  if (process.env.CI === 'true') throw new Error(`${reason}; CI=true requires it`);
  console.log(`      skipped: ${reason}`);
  context.skip();
}

/** A describe block that needs PostgreSQL: skipped (or failed on CI) without it, admin pool closed after it. */
export function describeOnPostgres(title: string, fn: (this: Mocha.Suite) => void): Mocha.Suite {
  return describe(title, function () {
    before(async function () {
      await requirePostgres(this);
    });
    after(closeAdmin);
    fn.call(this);
  });
}

/** The test database with `search_path` set to `schema` on every connection, through libpq's `options`. */
export function urlForSchema(schema: string): string {
  const separator = TEST_DATABASE_URL.includes('?') ? '&' : '?';
  return `${TEST_DATABASE_URL}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
}

export interface FreshSchema {
  url: string;
  schema: string;
  drop(): Promise<void>;
}

/** A schema of its own for one test (`create: false` only names it, for code that must create it itself). */
export async function freshSchema(options: { create?: boolean } = {}): Promise<FreshSchema> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  if (options.create !== false) await adminPool().query(`CREATE SCHEMA ${schema}`);
  return {
    url: urlForSchema(schema),
    schema,
    drop: async () => {
      await adminPool().query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
  };
}

export async function schemaExists(schema: string): Promise<boolean> {
  const { rowCount } = await adminPool().query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  return rowCount === 1;
}

/** Sessions waiting for the advisory lock `key` (as PostgresStorage.lockKey spells it), in the whole database. */
export async function advisoryLockWaiters(key: string): Promise<number> {
  const { rows } = await adminPool().query(
    `SELECT count(*)::int AS n FROM pg_locks
     WHERE locktype = 'advisory' AND NOT granted AND ((classid::int8 << 32) | objid::int8) = hashtext($1)::int8`,
    [key],
  );
  return (rows[0] as { n: number }).n;
}

/**
 * Resolves true once someone waits for the advisory lock `key`, or false as soon as `gaveUp()` says the waiter
 * will never come (it got through instead). Polls without a deadline: the test's own timeout is the limit.
 */
export async function someoneWaitsFor(key: string, gaveUp: () => boolean): Promise<boolean> {
  for (;;) {
    if (gaveUp()) return false;
    if ((await advisoryLockWaiters(key)) > 0) return true;
    await sleep(5);
  }
}
