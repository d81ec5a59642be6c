// The deployment's database as the suite inspects it, from outside the processes under test, on either engine:
// a read-only better-sqlite3 connection to the file (WAL: reading never blocks the writer) or a pg pool on the schema.
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { PostgresStorage } from '../../../src/storage/postgres/PostgresStorage.js';
import { adminQuery, postgresAbsence as serverAbsence, urlWithSchema } from '../../lib/postgresServer.js';

export type StorageKind = 'sqlite' | 'postgres';

/** The server `--storage postgres` uses: CHAOS_DATABASE_URL, else the local one (trust auth). */
export const CHAOS_DATABASE_URL = process.env.CHAOS_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

export interface InspectedDatabase {
  readonly kind: StorageKind;
  /** SQL both engines take; `?` placeholders, in order. */
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  value<T>(sql: string, params?: readonly unknown[]): Promise<T | undefined>;
  /** Every table paybus made, by name. */
  tables(): Promise<string[]>;
  close(): Promise<void>;
}

/** Read-only: opened once paybus has created the file, so it never creates or changes anything itself. */
export function sqliteInspector(file: string): InspectedDatabase {
  let db: Database.Database | undefined;
  const open = () => (db ??= new Database(file, { readonly: true, fileMustExist: true }));
  return {
    kind: 'sqlite',
    all: async <T>(sql: string, params: readonly unknown[] = []) => open().prepare(sql).all(...params) as T[],
    value: async <T>(sql: string, params: readonly unknown[] = []) => open().prepare(sql).pluck().get(...params) as T | undefined,
    tables: async () => open().prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[],
    close: async () => {
      db?.close();
    },
  };
}

/** Through paybus's own PostgreSQL engine, which the audit only reads with. */
export function postgresInspector(url: string): InspectedDatabase {
  let opened: Promise<PostgresStorage> | undefined;
  const open = () => (opened ??= PostgresStorage.open({ url, poolSize: 2 }));
  const all = async <T>(sql: string, params: readonly unknown[] = []) => (await open()).all<T>(sql, params);
  return {
    kind: 'postgres',
    all,
    value: async <T>(sql: string, params: readonly unknown[] = []) => (await open()).value<T>(sql, params),
    tables: async () =>
      (await all<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name")).map((r) => r.name),
    close: async () => {
      if (opened) await (await opened).close();
    },
  };
}

/** A schema of its own for one deployment: the URL that selects it, and `drop` (run after every process is gone). */
export async function postgresSchema(scenario: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `paybus_chaos_${scenario.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await adminQuery(CHAOS_DATABASE_URL, `CREATE SCHEMA "${name}"`);
  return { url: urlWithSchema(CHAOS_DATABASE_URL, name), drop: async () => void (await adminQuery(CHAOS_DATABASE_URL, `DROP SCHEMA IF EXISTS "${name}" CASCADE`)) };
}

/** Undefined when PostgreSQL answers; otherwise why not (the run stops before any scenario then). */
export const postgresAbsence = () => serverAbsence(CHAOS_DATABASE_URL);
