// The storage port: everything paybus keeps goes through it, on SQLite (the embedded default) or PostgreSQL.
//
// The transaction is explicit: work that must commit together runs in `storage.transaction(async (tx) => …)` and
// passes `tx` to every statement; a statement run on the storage itself commits on its own. SQL uses `?`
// placeholders on both engines; where the dialects differ a statement carries one text per engine.

export type Engine = 'sqlite' | 'postgres';

/** SQL for both engines, or one text per engine where the dialects differ. Placeholders are `?`, in order. */
export type Statement = string | { readonly sqlite: string; readonly postgres: string };

/** Values for the placeholders: strings, finite numbers, null (no booleans, no objects: encode them first). */
export type Params = readonly unknown[];

export type Row = Record<string, unknown>;

/** Runs statements: the storage itself (each statement commits on its own) or one transaction. */
export interface Sql {
  readonly engine: Engine;
  all<T = Row>(statement: Statement, params?: Params): Promise<T[]>;
  /** The first row, or undefined. */
  one<T = Row>(statement: Statement, params?: Params): Promise<T | undefined>;
  /** The first column of the first row, or undefined when there is no row. */
  value<T = unknown>(statement: Statement, params?: Params): Promise<T | undefined>;
  /** A statement that returns no rows; resolves to the number of rows it changed. */
  run(statement: Statement, params?: Params): Promise<number>;
}

/** The inside of one transaction. */
export interface Transaction extends Sql {
  /**
   * Runs `fn` in a savepoint: when it throws, what it wrote is undone and the error goes on to the caller,
   * while the transaction stays usable (on PostgreSQL too, where an error would otherwise abort it).
   */
  savepoint<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /**
   * Holds the lock `name` until this transaction ends: another transaction asking for it waits. PostgreSQL takes a
   * transaction-scoped advisory lock; SQLite needs none (its one writer holds the whole database).
   */
  lock(name: string): Promise<void>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Calls `fn` once the transaction has committed (never when it rolls back, nor when the savepoint it was registered
   * in is undone). On SQLite in commit order; on PostgreSQL in the order this process heard of the commits, which
   * across connections is not guaranteed to be commit order.
   */
  afterCommit(fn: () => void): void;
}

export interface TransactionOptions {
  /**
   * May wait for the end of this turn of the event loop to share one commit with every other grouped transaction
   * asked for meanwhile, each in its own savepoint (a group commit). SQLite does: one writer, so many small
   * commits cost more than one larger one. PostgreSQL commits each on its own connection and ignores it.
   */
  grouped?: boolean;
}

/** A lock held by this process until released, or lost with the connection that holds it. */
export interface HeldLock {
  /** Resolves if the lock is lost without being released (the connection holding it broke). */
  lost: Promise<void>;
  release(): Promise<void>;
}

export interface Storage extends Sql {
  /** Engine and where, for the start log: never a password. */
  readonly description: string;
  /**
   * Runs `fn` in one transaction: it commits when `fn` resolves and rolls back when it throws. `fn` may run more
   * than once (after a deadlock on PostgreSQL; alone, when another member of its SQLite group ended the shared
   * transaction), so it must start from the same state each time. Never call it from inside a transaction: use
   * `tx.savepoint` there (on SQLite a nested transaction would wait for ever).
   */
  transaction<T>(fn: (tx: Transaction) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * Runs `fn` while holding the lock `name` across every process on this database (PostgreSQL: a session
   * advisory lock on a connection of its own; SQLite: within this process, since a file is rarely shared).
   */
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /**
   * Takes the lock `name` if no process holds it, and keeps it until released: PostgreSQL holds a session advisory
   * lock on a connection of its own (a process that dies lets it go at once); SQLite within this process.
   */
  tryHoldLock(name: string): Promise<HeldLock | undefined>;
  /**
   * Calls `fn` whenever a transaction of any process on the database that appended events commits (PostgreSQL
   * LISTEN/NOTIFY; undefined on SQLite, where one process owns the file and knows its own commits). Resolves to a
   * function that stops listening.
   */
  listenForCommits?(fn: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** The text of `statement` for `engine`. */
export function textFor(statement: Statement, engine: Engine): string {
  return typeof statement === 'string' ? statement : statement[engine];
}

/** One statement built the same way for both engines around the pieces where their dialects differ. */
export function perEngine(build: (engine: Engine) => string): Statement {
  return { sqlite: build('sqlite'), postgres: build('postgres') };
}

/**
 * `IN` the elements of one JSON array parameter (a `?` given `JSON.stringify(values)`): one prepared statement,
 * whatever the number of values. `cast` is the PostgreSQL type to compare as (elements arrive as text).
 */
export function inJsonArray(engine: Engine, cast = 'text'): string {
  return engine === 'sqlite' ? 'IN (SELECT value FROM json_each(?))' : `IN (SELECT jsonb_array_elements_text(?::jsonb)::${cast})`;
}
