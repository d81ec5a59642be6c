// The shared engine: a pg pool, one connection a transaction, advisory locks named within the schema.
import pg from 'pg';
import type { HeldLock, Params, Statement, Storage, Transaction } from '../Storage.js';
import { isUniqueViolation, TransactionClosedError } from '../errors.js';
import { type QueryMode, type TransactionConnection, TransactionScope } from '../TransactionScope.js';
import { errorMessage } from '../../errors.js';

export interface PostgresOptions {
  url: string;
  /** Connections in the pool: transactions in flight at once. */
  poolSize?: number;
  /** Where an error thrown by an afterCommit callback, or by an idle connection, is reported. */
  onError?(error: unknown): void;
}

const INT8 = 20;
/** Positions, counts and ids are BIGINT; JavaScript numbers hold them exactly up to 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8 && format !== 'binary' ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Deadlock and serialization failure: the transaction did nothing and may run again as it is. */
const RETRYABLE = new Set(['40P01', '40001']);
const ATTEMPTS = 3;
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

type Queryable = Pick<pg.PoolClient, 'query'>;

export class PostgresStorage implements Storage {
  readonly engine = 'postgres' as const;
  readonly pool: pg.Pool;
  description: string;
  /** The schema paybus's tables live in (the first of search_path): lock names and channels are scoped to it. */
  schema = 'public';
  private readonly texts = new Map<string, { name: string; text: string }>();
  /** Transactions and statements under way: close() waits for them (pg's pool would leave a waiting one hanging). */
  private active = 0;
  private drained: (() => void) | undefined;
  private closing = false;
  private readonly onError: (error: unknown) => void;
  private readonly url: string;

  private constructor(options: PostgresOptions) {
    this.onError = options.onError ?? (() => {});
    this.url = options.url;
    this.pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10, types, application_name: 'paybus' });
    // An idle connection that breaks (a server restart) must not crash the process; the pool replaces it.
    this.pool.on('error', (error) => this.onError(error));
    this.description = `PostgreSQL ${describeUrl(options.url)}`;
  }

  /** Connects (one clear error when the server does not answer) and makes the schema search_path names if missing. */
  static async open(options: PostgresOptions): Promise<PostgresStorage> {
    const storage = new PostgresStorage(options);
    try {
      await storage.useSchema();
    } catch (error) {
      await storage.pool.end().catch(() => {});
      throw new Error(`cannot use ${storage.description}: ${errorMessage(error)}`);
    }
    storage.description = `${storage.description} (schema ${storage.schema})`;
    return storage;
  }

  all<T>(statement: Statement, params: Params = []): Promise<T[]> {
    return this.tracked(() => query(this.pool, this.prepared(statement), 'all', params)) as Promise<T[]>;
  }

  one<T>(statement: Statement, params: Params = []): Promise<T | undefined> {
    return this.tracked(() => query(this.pool, this.prepared(statement), 'one', params)) as Promise<T | undefined>;
  }

  value<T>(statement: Statement, params: Params = []): Promise<T | undefined> {
    return this.tracked(() => query(this.pool, this.prepared(statement), 'value', params)) as Promise<T | undefined>;
  }

  run(statement: Statement, params: Params = []): Promise<number> {
    return this.tracked(() => query(this.pool, this.prepared(statement), 'run', params)) as Promise<number>;
  }

  /** One connection from BEGIN to COMMIT; a deadlock or serialization failure runs `fn` again, up to 3 times. */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.tracked(() => this.attempts(fn));
  }

  private async attempts<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      const scope = new TransactionScope(this.connectionFor(client), this.onError);
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn(scope.view());
        // A statement that failed outside a savepoint aborted the transaction; if fn swallowed its error, PostgreSQL
        // answers this COMMIT with ROLLBACK and no error. Without this check the caller would hear "committed" and
        // afterCommit callbacks would run for writes that are gone (SQLite undoes only the failed statement).
        const { command } = await client.query('COMMIT');
        if (command === 'ROLLBACK') throw new TransactionClosedError('PostgreSQL rolled this transaction back at COMMIT: a statement in it failed outside a savepoint');
        scope.committed();
        return result;
      } catch (error) {
        scope.rolledBack();
        broken = await client.query('ROLLBACK').then(
          () => undefined,
          (e: Error) => e,
        );
        if (attempt < ATTEMPTS && RETRYABLE.has((error as { code?: string }).code ?? '')) continue;
        throw error;
      } finally {
        // A connection that could not even roll back is closed rather than handed to the next caller.
        client.release(broken);
      }
    }
  }

  /**
   * The lock lives on a connection outside the pool: `fn` works through the pool, and a pool connection held (or
   * waiting) for the lock would leave it none. With DATABASE_POOL_SIZE=1 runMigrations hung at start, and as many
   * waiters as the pool has connections deadlocked the holder.
   */
  async withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: this.url, types, application_name: 'paybus' });
    client.on('error', (error) => this.onError(error));
    try {
      await client.connect();
      await client.query('SELECT pg_advisory_lock(hashtext($1))', [this.lockKey(name)]);
      return await fn();
    } finally {
      // Ending the session releases its advisory locks, whether or not fn succeeded.
      await client.end().catch((error: unknown) => this.onError(error));
    }
  }

  /**
   * LISTEN on a connection of its own for the notification every appending transaction sends at COMMIT (see the
   * store's paybus_append). A broken connection is replaced after a second; `fn` is called then too, since
   * commits may have gone unheard meanwhile.
   */
  async listenForCommits(fn: () => void): Promise<() => Promise<void>> {
    const channel = `${this.schema}.events`;
    let client: pg.Client | undefined;
    let stopped = false;
    const connect = async (): Promise<void> => {
      const c = new pg.Client({ connectionString: this.url, types, application_name: 'paybus listener' });
      c.on('notification', (message) => message.channel === channel && fn());
      c.on('error', (error) => {
        this.onError(error);
        if (client === c && !stopped) {
          client = undefined;
          setTimeout(() => void reconnect(), 1000).unref();
        }
      });
      await c.connect();
      // The channel is an identifier (not a parameter): quoted, with any quote in the schema's name doubled.
      await c.query(`LISTEN "${channel.replaceAll('"', '""')}"`);
      client = c;
    };
    const reconnect = async () => {
      if (stopped) return;
      await connect().then(fn, () => setTimeout(() => void reconnect(), 1000).unref());
    };
    await connect();
    return async () => {
      stopped = true;
      await client?.end().catch(() => {});
    };
  }

  /** A session advisory lock on a connection of its own: a process that dies lets it go with its connection. */
  async tryHoldLock(name: string): Promise<HeldLock | undefined> {
    const client = new pg.Client({ connectionString: this.url, types, application_name: 'paybus' });
    let lose: () => void = () => {};
    const lost = new Promise<void>((resolve) => (lose = resolve));
    client.on('error', (error) => {
      this.onError(error);
      lose();
    });
    client.on('end', () => lose());
    await client.connect();
    const { rows } = await client.query('SELECT pg_try_advisory_lock(hashtext($1)) AS held', [this.lockKey(name)]).catch(async (error: unknown) => {
      await client.end().catch(() => {});
      throw error;
    });
    if (!(rows[0] as { held: boolean }).held) {
      await client.end().catch(() => {});
      return undefined;
    }
    // Ending the session releases the lock.
    return { lost, release: () => client.end().catch(() => {}) };
  }

  /** Lets what was asked for finish (a request, a checkpoint save), refuses what comes after, then closes the pool. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.active > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    await this.pool.end();
  }

  private async tracked<T>(work: () => Promise<T>): Promise<T> {
    if (this.closing) throw new Error('the database is closed');
    this.active++;
    try {
      return await work();
    } finally {
      if (--this.active === 0) this.drained?.();
    }
  }

  /** Lock names are per schema: two paybus deployments (or test runs) in one database do not block each other. */
  lockKey(name: string): string {
    return `${this.schema}:${name}`;
  }

  private connectionFor(client: pg.PoolClient): TransactionConnection {
    return {
      engine: 'postgres',
      query: (mode, statement, params) => query(client, this.prepared(statement), mode, params),
      command: async (sql) => {
        await client.query(sql);
      },
      usable: () => true,
      lock: async (name) => {
        await client.query({ name: 'paybus_xact_lock', text: 'SELECT pg_advisory_xact_lock(hashtext($1))', values: [this.lockKey(name)] });
      },
    };
  }

  /** The statement's text with $1… placeholders and a stable name, so each connection prepares it once. */
  private prepared(statement: Statement): { name: string; text: string } {
    const source = typeof statement === 'string' ? statement : statement.postgres;
    let entry = this.texts.get(source);
    if (!entry) {
      let n = 0;
      entry = { name: `paybus_${this.texts.size + 1}`, text: source.replace(/\?/g, () => `$${++n}`) };
      this.texts.set(source, entry);
    }
    return entry;
  }

  private async useSchema(): Promise<void> {
    const row = (await this.pool.query("SELECT current_schema() AS schema, current_setting('search_path') AS path")).rows[0] as { schema: string | null; path: string };
    if (row.schema) {
      this.schema = row.schema;
      return;
    }
    // search_path names a schema that does not exist yet: make the first one, as an empty database should just work.
    const first = row.path.split(',').map((s) => s.trim().replace(/^"(.*)"$/, '$1')).find((s) => s !== '$user');
    if (!first || !PLAIN_NAME.test(first)) throw new Error(`search_path names no schema paybus can create (${row.path})`);
    // IF NOT EXISTS does not cover a race: when several processes start at once, the losers of the insert into
    // pg_namespace get a unique violation although the schema now exists, which is all they wanted.
    await this.pool.query(`CREATE SCHEMA IF NOT EXISTS "${first}"`).catch((error: unknown) => {
      if (!isUniqueViolation(error)) throw error;
    });
    this.schema = first;
  }
}

async function query(on: Queryable, statement: { name: string; text: string }, mode: QueryMode, params: Params): Promise<unknown> {
  const values = params as unknown[];
  if (mode === 'value') {
    const result = await on.query({ ...statement, values, rowMode: 'array' });
    return (result.rows[0] as unknown[] | undefined)?.[0];
  }
  const result = await on.query({ ...statement, values });
  if (mode === 'all') return result.rows;
  if (mode === 'one') return result.rows[0];
  return result.rowCount ?? 0;
}

/** host:port/database, without user or password. */
function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || 5432}${u.pathname || '/'}`;
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}
