// The embedded engine: one better-sqlite3 connection, one writer at a time, grouped commits for busy paths.
import fs from 'node:fs';
import path from 'node:path';
import Database, { type Statement as Prepared } from 'better-sqlite3';
import { Mutex } from '../Mutex.js';
import type { HeldLock, Params, Statement, Storage, Transaction, TransactionOptions } from '../Storage.js';
import { type QueryMode, type TransactionConnection, TransactionScope } from '../TransactionScope.js';
import { execute, StatementCache } from './StatementCache.js';
import { type CheckpointerOptions, WalCheckpointer } from './WalCheckpointer.js';

interface Job {
  fn: (tx: Transaction) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export interface SqliteOptions {
  /**
   * Checkpoint the WAL from a worker thread (the default for a file), so no commit pays for it; options tune it
   * (tests make it eager).
   */
  checkpointer?: boolean | CheckpointerOptions;
  /** Where an error thrown by an afterCommit callback is reported. */
  onCallbackError?(error: unknown): void;
}

const textOf = (statement: Statement) => (typeof statement === 'string' ? statement : statement.sqlite);

export class SqliteStorage implements Storage {
  readonly engine = 'sqlite' as const;
  readonly description: string;
  /** The connection, for what only SQLite has (the bench's raw baselines, the WAL checkpointer). */
  readonly db: Database.Database;
  private readonly statements: StatementCache;
  /**
   * A second connection for reads outside a transaction while one is open: they see only what is committed, as on
   * PostgreSQL, and never wait for the writer (a read through the storage inside a transaction would otherwise wait
   * for that very transaction). None for ":memory:", where a second connection would be another database.
   */
  private readonly reader: StatementCache | undefined;
  /** Held by the one open transaction; a write outside it waits for it. */
  private readonly writer = new Mutex();
  private readonly locks = new Map<string, Mutex>();
  private group: Job[] | undefined;
  /** The WAL's checkpointer thread, when the database is a file (for tests and diagnostics). */
  readonly checkpointer: WalCheckpointer | undefined;
  private readonly connection: TransactionConnection;
  private closed = false;

  constructor(
    readonly file: string,
    private readonly options: SqliteOptions = {},
  ) {
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new Database(file);
    // WAL lets readers run beside the writer; NORMAL sync is durable across process crashes (SIGKILL), which is
    // the failure paybus promises to survive; FULL would add an fsync per commit.
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    // Savepoints (every member of a grouped commit has one) journal the pages they change so that they can be rolled
    // back alone; past 64 KB SQLite spills that journal to a temporary file, and in the payments bench that was
    // about 110 of the 185 write syscalls of a payment. In memory it never spills; it lives only until COMMIT.
    this.db.pragma('temp_store = MEMORY');
    this.description = `SQLite ${file === ':memory:' ? ':memory:' : path.resolve(file)}`;
    if (file !== ':memory:' && options.checkpointer !== false) {
      const tuning = typeof options.checkpointer === 'object' ? options.checkpointer : {};
      this.checkpointer = new WalCheckpointer(file, this.db, (during) => void this.writer.run(during), tuning);
    }
    this.statements = new StatementCache(this.db);
    if (file !== ':memory:') {
      const reader = new Database(file);
      reader.pragma('busy_timeout = 5000');
      this.reader = new StatementCache(reader);
    }
    const db = this.db;
    this.connection = {
      engine: 'sqlite',
      query: (mode, statement, params) => Promise.resolve(execute(this.statements, mode, textOf(statement), params)),
      command: (sql) => {
        this.command(sql);
        return Promise.resolve();
      },
      usable: () => db.inTransaction,
      lock: () => Promise.resolve(),
    };
  }

  all<T>(statement: Statement, params: Params = []): Promise<T[]> {
    return this.outside('all', statement, params) as Promise<T[]>;
  }

  one<T>(statement: Statement, params: Params = []): Promise<T | undefined> {
    return this.outside('one', statement, params) as Promise<T | undefined>;
  }

  value<T>(statement: Statement, params: Params = []): Promise<T | undefined> {
    return this.outside('value', statement, params) as Promise<T | undefined>;
  }

  run(statement: Statement, params: Params = []): Promise<number> {
    return this.outside('run', statement, params) as Promise<number>;
  }

  async transaction<T>(fn: (tx: Transaction) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    if (this.closed) throw new Error('the database is closed');
    if (options.grouped) return this.joinGroup(fn);
    await this.writer.acquire();
    try {
      return await this.runAlone(fn);
    } finally {
      this.writer.release();
    }
  }

  async withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    let lock = this.locks.get(name);
    if (!lock) this.locks.set(name, (lock = new Mutex()));
    return lock.run(fn);
  }

  async tryHoldLock(name: string): Promise<HeldLock | undefined> {
    let lock = this.locks.get(name);
    if (!lock) this.locks.set(name, (lock = new Mutex()));
    if (!lock.tryAcquire()) return undefined;
    const held = lock;
    return { lost: new Promise<void>(() => {}), release: async () => held.release() };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.group) this.flushGroup(); // what was asked for before close still commits
    await this.writer.acquire();
    await this.checkpointer?.stop();
    this.reader?.db.close();
    this.db.close();
    this.writer.release();
  }

  /**
   * A statement outside any transaction: at once when no transaction is open; while one is, a read goes to the
   * reader connection at once and a write waits for the transaction to end.
   */
  private outside(mode: QueryMode, statement: Statement, params: Params): Promise<unknown> {
    const free = this.writer.tryAcquire();
    const text = textOf(statement);
    if (free || (this.reader && mode !== 'run' && this.statements.get(text).readonly)) {
      try {
        return Promise.resolve(execute(free ? this.statements : this.reader!, mode, text, params));
      } catch (error) {
        return Promise.reject(error);
      } finally {
        if (free) this.writer.release();
      }
    }
    return this.writer.run(async () => execute(this.statements, mode, text, params));
  }

  /**
   * BEGIN, COMMIT, SAVEPOINT …: prepared once, run often (exec would parse each time); several statements at once
   * (migrations) go through exec.
   */
  private command(sql: string): void {
    let prepared: Prepared;
    try {
      prepared = this.statements.get(sql);
    } catch {
      this.db.exec(sql);
      return;
    }
    prepared.run();
  }

  private scope(): TransactionScope {
    return new TransactionScope(this.connection, this.options.onCallbackError ?? (() => {}));
  }

  /** One transaction for `fn`, with the writer held. IMMEDIATE: another process on the file waits on busy_timeout. */
  private async runAlone<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const scope = this.scope();
    this.command('BEGIN IMMEDIATE');
    let result: T;
    try {
      result = await fn(scope.view());
      this.command('COMMIT');
    } catch (error) {
      if (this.db.inTransaction) this.command('ROLLBACK');
      scope.rolledBack();
      throw error;
    }
    scope.committed();
    return result;
  }

  private joinGroup<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const job: Job = { fn, resolve: resolve as (value: unknown) => void, reject };
      if (this.group) return void this.group.push(job);
      this.group = [job];
      setImmediate(() => this.flushGroup());
    });
  }

  private flushGroup(): void {
    const jobs = this.group ?? [];
    this.group = undefined;
    if (jobs.length === 0) return;
    // Alone in its turn: a transaction of its own, without the savepoint that only sets members apart.
    if (jobs.length === 1) return void this.writer.run(() => this.runAlone(jobs[0]!.fn).then(jobs[0]!.resolve, jobs[0]!.reject));
    void this.writer.run(() => this.runGroup(jobs));
  }

  /**
   * The jobs of one turn in one transaction, each in its own savepoint: one that throws is undone alone. Each job
   * settles only after COMMIT, so none hears "done" for work that is not durable.
   */
  private async runGroup(jobs: Job[]): Promise<void> {
    const scope = this.scope();
    const tx = scope.view();
    const outcomes: ({ value: unknown } | { error: unknown })[] = [];
    /** The job whose error ended SQLite's whole transaction (RAISE(ROLLBACK), a full disk), if one did. */
    let lostBy = -1;
    try {
      this.command('BEGIN IMMEDIATE');
      for (const job of jobs) {
        try {
          outcomes.push({ value: await tx.savepoint(job.fn) });
        } catch (error) {
          outcomes.push({ error });
          if (!this.db.inTransaction) {
            lostBy = outcomes.length - 1;
            throw error;
          }
        }
      }
      this.command('COMMIT');
    } catch (error) {
      if (this.db.inTransaction) this.command('ROLLBACK');
      scope.rolledBack();
      // Nothing of the group stands. The job that ended it fails; every other one (all of them when BEGIN or COMMIT
      // failed, say on a constraint checked at COMMIT) runs again on its own, so one job cannot sink the others.
      for (const [i, job] of jobs.entries()) {
        if (i === lostBy) job.reject(error);
        else await this.runAlone(job.fn).then(job.resolve, job.reject);
      }
      return;
    }
    scope.committed();
    jobs.forEach((job, i) => {
      const outcome = outcomes[i]!;
      if ('error' in outcome) job.reject(outcome.error);
      else job.resolve(outcome.value);
    });
  }
}

