// Loads modules, owns the one write path (commit), runs projections inline and hands committed events to the transport.
import express from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { runMigrations } from '../db/migrate.js';
import type { Db } from '../db/openDatabase.js';
import type { EventEnvelope, StoredEvent } from '../events/envelope.js';
import { matchesAny } from '../events/patterns.js';
import type { EventStore } from '../store/EventStore.js';
import type { Outbox } from '../store/Outbox.js';
import type { AsyncEventProcessor, ProcessedSubscriber } from './AsyncEventProcessor.js';
import type { ModuleDefinition, PaybusModule, Projection, Reaction, ReactionContext, UnitOfWork } from './module.js';
import { GroupCommit } from './GroupCommit.js';
import type { SubscriberLedger } from './SubscriberLedger.js';

/** Raised when a projection throws inside a command: the whole command rolls back. */
export class ProjectionError extends Error {
  override name = 'ProjectionError';
  constructor(
    readonly projection: string,
    readonly event: EventEnvelope,
    override readonly cause: unknown,
  ) {
    super(`projection ${projection} failed on ${event.type} ${event.id}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** What carries committed events onward: the in-process bus, or the outbox relay to RabbitMQ. */
export interface EventTransport {
  start(host: ModuleHost): Promise<void>;
  afterCommit(events: readonly StoredEvent[], outboxIds: readonly number[]): void;
  /** Resolves when every event committed so far has been handled by this process's subscribers. */
  idle(): Promise<void>;
  ready(): boolean;
  stop(): Promise<void>;
}

export interface HostParts {
  config: Config;
  db: Db;
  store: EventStore;
  outbox: Outbox;
  ledger: SubscriberLedger;
  processor: AsyncEventProcessor;
  log: Logger;
}

export class ModuleHost {
  readonly modules: PaybusModule[] = [];
  readonly projections: Projection[] = [];
  readonly reactions: Reaction[] = [];
  readonly subscribers = new Map<string, ProcessedSubscriber>();
  private transport: EventTransport | undefined;
  private pending: { events: StoredEvent[]; outboxIds: number[] } | undefined;
  private readonly groups: GroupCommit;
  private readonly uow: UnitOfWork;
  private readonly runTransaction: <T>(fn: () => T) => T;
  readonly commitListeners: ((events: readonly StoredEvent[]) => void)[] = [];

  constructor(readonly parts: HostParts) {
    const { db } = parts;
    this.uow = { db, append: (events, options) => this.appendInTransaction(events, options) };
    // IMMEDIATE: take the write lock up front, so a second process (a CLI, a worker on the same file)
    // waits on busy_timeout rather than failing when it upgrades a stale read.
    const tx = db.transaction((fn: () => unknown) => fn());
    this.runTransaction = <T>(fn: () => T) => (db.inTransaction ? tx(fn) : tx.immediate(fn)) as T;
    this.commit = this.commit.bind(this);
    this.commitGrouped = this.commitGrouped.bind(this);
    this.groups = new GroupCommit({
      transact: (fn) => this.transact(fn),
      commit: (fn) => this.commit(fn),
      inTransaction: () => db.inTransaction,
      log: parts.log,
    });
  }

  /** Builds and registers modules, in the order given. */
  load(definitions: readonly ModuleDefinition[]): void {
    for (const def of definitions) {
      runMigrations(this.parts.db, def.name, def.migrations);
      const parts = def.create({ config: this.parts.config, db: this.parts.db, store: this.parts.store, commit: this.commit, commitGrouped: this.commitGrouped, log: this.parts.log.child({ module: def.name }) });
      const mod: PaybusModule = { name: def.name, ...parts };
      this.modules.push(mod);
      for (const p of mod.projections ?? []) this.projections.push(p);
      for (const r of mod.reactions ?? []) {
        this.reactions.push(r);
        const subscriber = this.reactionSubscriber(r);
        this.subscribers.set(r.name, subscriber);
        this.parts.processor.register(subscriber);
      }
    }
    this.catchUpProjections();
  }

  mountRoutes(app: express.Express): void {
    for (const mod of this.modules) {
      if (!mod.routes) continue;
      const router = express.Router();
      mod.routes(router);
      app.use(router);
    }
  }

  /**
   * Runs `fn` in one SQLite transaction: read-model changes, appended events, their outbox rows and the
   * inline projections commit together or not at all. Committed events go to the transport afterwards.
   */
  commit<T>(fn: (uow: UnitOfWork) => T): T {
    const run = () => {
      const r = fn(this.uow);
      if (r instanceof Promise) throw new Error('commit callbacks must be synchronous: do I/O before or after the transaction');
      return r;
    };
    // Already inside a commit: join it, in a savepoint, so a failure inside undoes this part alone (a batch of
    // messages keeps what the handlers before the failing one committed).
    if (this.pending) return this.savepoint(run);
    let result: T;
    const { publish } = this.transact(() => (result = run()));
    publish();
    return result!;
  }

  /** One new transaction around `fn`; `publish` hands what it appended to the transport and listeners. */
  private transact(fn: () => void): { publish(): void } {
    const pending = (this.pending = { events: [] as StoredEvent[], outboxIds: [] as number[] });
    try {
      this.runTransaction(fn);
    } finally {
      this.pending = undefined;
    }
    return {
      publish: () => {
        if (pending.events.length === 0) return;
        this.transport?.afterCommit(pending.events, pending.outboxIds);
        for (const listener of this.commitListeners) listener(pending.events);
      },
    };
  }

  /**
   * Like `commit`, but shares one transaction with every other grouped commit asked for in the same turn of the
   * event loop (a group commit): each runs in its own savepoint, so one that throws is undone alone, and all become
   * durable together; each promise settles after that. For request paths that many clients run at once.
   */
  commitGrouped<T>(fn: (uow: UnitOfWork) => T): Promise<T> {
    // Inside a commit it could not be part of it: it would commit later, whether or not the caller's commit does.
    if (this.pending) return Promise.reject(new Error('commitGrouped inside a commit: use commit, which joins it'));
    return this.groups.add(() => fn(this.uow));
  }

  async start(transport: EventTransport): Promise<void> {
    this.transport = transport;
    await transport.start(this);
  }

  idle(): Promise<void> {
    return this.transport?.idle() ?? Promise.resolve();
  }

  ready(): boolean {
    return this.transport?.ready() ?? false;
  }

  async stop(): Promise<void> {
    this.groups.flush(); // before the database closes
    this.parts.processor.stop();
    await this.transport?.stop();
    for (const mod of this.modules) await mod.stop?.();
  }

  /** Inside a commit: runs `fn` in a savepoint. When it throws, its writes and the events it appended are undone. */
  private savepoint<T>(fn: () => T): T {
    const pending = this.pending;
    if (!pending) throw new Error('savepoint outside commit');
    // Some errors end SQLite's whole transaction (RAISE(ROLLBACK), a full disk). Nothing may then go on as if it
    // were inside it: a commit here would open a transaction of its own and commit outside the batch.
    if (!this.parts.db.inTransaction) throw new Error('the transaction was rolled back by SQLite; this commit is refused');
    const events = pending.events.length;
    const outboxIds = pending.outboxIds.length;
    try {
      return this.runTransaction(fn);
    } catch (error) {
      pending.events.length = events;
      pending.outboxIds.length = outboxIds;
      throw error;
    }
  }

  /** Applies a projection to one event with its record, unless it has seen it already. Inside a transaction. */
  applyProjection(projection: Projection, event: EventEnvelope & { position?: number }): void {
    const { ledger } = this.parts;
    if (ledger.hasHandled(projection.name, event.id)) return;
    try {
      projection.apply(event, this.parts.db);
    } catch (error) {
      throw new ProjectionError(projection.name, event, error);
    }
    ledger.recordInbox(projection.name, event.id);
    if (event.position !== undefined) ledger.advance(projection.name, event.position);
  }

  /** Replays the log into projections that are behind it (a module added later, a rebuild). */
  catchUpProjections(only?: readonly Projection[]): number {
    const { store, ledger } = this.parts;
    let applied = 0;
    for (const projection of only ?? this.projections) {
      let after = ledger.checkpoint(projection.name);
      for (;;) {
        const batch = store.readAll({ after, limit: 1000 });
        if (batch.length === 0) break;
        this.runTransaction(() => {
          for (const event of batch) if (matchesAny(event.type, projection.types)) (this.applyProjection(projection, event), applied++);
          ledger.advance(projection.name, batch[batch.length - 1]!.position);
        });
        after = batch[batch.length - 1]!.position;
      }
    }
    return applied;
  }

  private appendInTransaction(events: readonly EventEnvelope[], options?: { expectedVersion?: number }): StoredEvent[] {
    if (!this.pending) throw new Error('append outside commit');
    const stored = this.parts.store.append(events, options);
    if (stored.length === 0) return stored;
    const outboxIds = this.parts.outbox.add(stored);
    for (const event of stored) {
      for (const projection of this.projections) if (matchesAny(event.type, projection.types)) this.applyProjection(projection, event);
    }
    this.pending.events.push(...stored);
    this.pending.outboxIds.push(...outboxIds);
    return stored;
  }

  /** Wraps a reaction so that its record (inbox + checkpoint) commits with its effects. */
  private reactionSubscriber(reaction: Reaction): ProcessedSubscriber {
    const { ledger, log } = this.parts;
    const record = (event: EventEnvelope & { position?: number }) => {
      ledger.recordInbox(reaction.name, event.id);
      if (event.position !== undefined) ledger.advance(reaction.name, event.position);
    };
    return {
      name: reaction.name,
      // Not async: a synchronous reaction finishes inside the caller's call, so a batch can hold it in one transaction.
      handle: (event: EventEnvelope & { position?: number }, attempt: number) => {
        if (ledger.hasHandled(reaction.name, event.id)) return;
        let recorded = false;
        const ctx: ReactionContext = {
          subscriber: reaction.name,
          attempt,
          log: log.child({ subscriber: reaction.name, eventId: event.id, eventType: event.type, correlationId: event.metadata.correlationId }),
          commit: (fn) => {
            const result = this.commit((uow) => {
              const r = fn(uow);
              record(event);
              return r;
            });
            recorded = true;
            return result;
          },
        };
        const finish = () => {
          if (!recorded) this.commit(() => record(event));
        };
        const running: unknown = reaction.handle(event, ctx);
        if (isThenable(running)) return Promise.resolve(running).then(finish);
        finish();
      },
      skip: (event: EventEnvelope & { position?: number }) => {
        if (event.position !== undefined) this.commit(() => ledger.advance(reaction.name, event.position!));
      },
    };
  }
}

function isThenable(value: unknown): value is PromiseLike<void> {
  return typeof (value as PromiseLike<void> | undefined)?.then === 'function';
}
