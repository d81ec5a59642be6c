// What both engines share inside a transaction: savepoints one at a time, callbacks after COMMIT, no use after the end.
import type { Engine, Params, Statement, Transaction } from './Storage.js';
import { TransactionClosedError } from './errors.js';

export type QueryMode = 'all' | 'one' | 'value' | 'run';

/** One engine's connection while a transaction is open on it. */
export interface TransactionConnection {
  readonly engine: Engine;
  query(mode: QueryMode, statement: Statement, params: Params): Promise<unknown>;
  /** A statement without parameters: BEGIN, SAVEPOINT, DDL. */
  command(sql: string): Promise<void>;
  /** False once the engine itself ended the transaction (SQLite after RAISE(ROLLBACK) or a full disk). */
  usable(): boolean;
  lock(name: string): Promise<void>;
}

/** The state of one transaction; `view()` is the Transaction its function gets. */
export class TransactionScope {
  private callbacks: (() => void)[] = [];
  private ended = false;

  constructor(
    readonly connection: TransactionConnection,
    private readonly onCallbackError: (error: unknown) => void,
  ) {}

  view(): Transaction {
    return new TransactionView(this, 0);
  }

  check(): void {
    if (this.ended) throw new TransactionClosedError('this transaction has ended; a statement ran after its commit or rollback');
    if (!this.connection.usable()) throw new TransactionClosedError('the database rolled this transaction back; nothing more may run in it');
  }

  addCallback(fn: () => void): void {
    this.check();
    this.callbacks.push(fn);
  }

  /** Where the callbacks stand now, to undo what a savepoint added when it rolls back. */
  mark(): number {
    return this.callbacks.length;
  }

  undoTo(mark: number): void {
    this.callbacks.length = mark;
  }

  /** After COMMIT: the transaction is over and its callbacks run, each on its own. */
  committed(): void {
    this.ended = true;
    const callbacks = this.callbacks;
    this.callbacks = [];
    for (const fn of callbacks) {
      try {
        fn();
      } catch (error) {
        this.onCallbackError(error);
      }
    }
  }

  /** After ROLLBACK (or a failed COMMIT): over, and nothing it asked for happens. */
  rolledBack(): void {
    this.ended = true;
    this.callbacks = [];
  }
}

class TransactionView implements Transaction {
  readonly engine: Engine;
  /** A savepoint of this view is running: another one at this depth would interleave with it. */
  private child = false;
  /**
   * This view's savepoint has ended. A statement through it now (one its function left running, as in a
   * Promise.all that rejected early) would land in the enclosing transaction and commit although the savepoint
   * failed or was released: it is refused like a statement after COMMIT.
   */
  private closed = false;

  constructor(
    private readonly scope: TransactionScope,
    private readonly depth: number,
  ) {
    this.engine = scope.connection.engine;
  }

  all<T>(statement: Statement, params: Params = []): Promise<T[]> {
    return this.query('all', statement, params) as Promise<T[]>;
  }

  one<T>(statement: Statement, params: Params = []): Promise<T | undefined> {
    return this.query('one', statement, params) as Promise<T | undefined>;
  }

  value<T>(statement: Statement, params: Params = []): Promise<T | undefined> {
    return this.query('value', statement, params) as Promise<T | undefined>;
  }

  run(statement: Statement, params: Params = []): Promise<number> {
    return this.query('run', statement, params) as Promise<number>;
  }

  async exec(sql: string): Promise<void> {
    this.check();
    await this.scope.connection.command(sql);
  }

  async lock(name: string): Promise<void> {
    this.check();
    await this.scope.connection.lock(name);
  }

  afterCommit(fn: () => void): void {
    this.check();
    this.scope.addCallback(fn);
  }

  async savepoint<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    this.check();
    if (this.child) throw new Error('a savepoint is already open at this level: await it before starting another');
    const name = `paybus_sp${this.depth + 1}`;
    const mark = this.scope.mark();
    const { connection } = this.scope;
    this.child = true;
    const inner = new TransactionView(this.scope, this.depth + 1);
    try {
      await connection.command(`SAVEPOINT ${name}`);
      let result: T;
      try {
        result = await fn(inner);
      } catch (error) {
        inner.closed = true;
        this.scope.undoTo(mark);
        // When the engine ended the whole transaction there is no savepoint left to roll back to.
        if (connection.usable()) {
          await connection.command(`ROLLBACK TO SAVEPOINT ${name}`);
          await connection.command(`RELEASE SAVEPOINT ${name}`);
        }
        throw error;
      }
      inner.closed = true;
      await connection.command(`RELEASE SAVEPOINT ${name}`);
      return result;
    } finally {
      this.child = false;
    }
  }

  private check(): void {
    if (this.closed) throw new TransactionClosedError('this savepoint has ended; a statement ran through it after its release or rollback');
    this.scope.check();
  }

  private query(mode: QueryMode, statement: Statement, params: Params): Promise<unknown> {
    try {
      this.check();
    } catch (error) {
      return Promise.reject(error);
    }
    return this.scope.connection.query(mode, statement, params);
  }
}
