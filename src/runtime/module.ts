// What a domain module declares to the host, and what the host gives it.
import type { Request, RequestHandler, Router } from 'express';
import type { Logger } from 'pino';
import type { Config, ModuleName } from '../config.js';
import type { Instance } from './Instance.js';
import type { EventContext, EventEnvelope, StoredEvent } from '../events/envelope.js';
import type { Migration } from '../storage/migrate.js';
import type { Sql, Transaction, TransactionOptions } from '../storage/Storage.js';
import type { AppendOptions, EventStore } from '../store/EventStore.js';

/** The inside of one transaction: read-model changes through `tx`, events through `append`. */
export interface UnitOfWork {
  readonly tx: Transaction;
  /**
   * Appends events to the store, writes their outbox rows and runs the inline projections, all in this
   * transaction; the events go to the transport once it has committed.
   */
  append(events: readonly EventEnvelope[], options?: AppendOptions): Promise<StoredEvent[]>;
  /** Runs `fn` in a savepoint: when it throws, its writes and the events it appended are undone. */
  savepoint<T>(fn: (uow: UnitOfWork) => Promise<T>): Promise<T>;
}

/**
 * Runs `fn` in one transaction: read-model changes, events, outbox rows and inline projections commit together.
 * Grouped (see TransactionOptions) unless `grouped: false`. A command made for a request passes the request's context
 * as `context`: when the request carries an Idempotency-Key, the commit's result is stored with the key in the same
 * transaction (see KeyCommits), so its result must be plain JSON.
 */
export type Commit = <T>(fn: (uow: UnitOfWork) => Promise<T>, options?: CommitOptions) => Promise<T>;

export interface CommitOptions extends TransactionOptions {
  /** The request (or event) the commit is made for: `requestContext(res)` in a route. */
  context?: EventContext;
}

/**
 * The commits made for one request that carries an Idempotency-Key, in order. Each stores its result with the key in
 * its own transaction, so a process that takes the key over after this one died between a commit and its answer
 * finds the commit made: it returns the stored result instead of committing again, and the route answers as the
 * first would have. Where the key is no longer this process's (it stalled past its lease and another took over), the
 * commit is refused and undone.
 */
export interface KeyCommits {
  /** The next commit's stored result, when a process that held the key before made it. */
  next(): { made: true; result: unknown } | { made: false };
  /** True when the next commit was made before: it will return its stored result without running. */
  nextWasMade(): boolean;
  /** Stores the next commit's result with the key in `tx`; throws ConflictError when the key is no longer this process's. */
  save(tx: Transaction, result: unknown): Promise<void>;
}

/** An event as subscribers get it: from the store it carries its position; from RabbitMQ it does not. */
export type DeliveredEvent = EventEnvelope & { position?: number };

/**
 * Keeps facts in the module's own tables. No I/O, no events: the host runs it inside the publisher's transaction
 * when both share a process, and from the module's queue otherwise.
 */
export interface Projection {
  name: string;
  types: string[];
  /** What orders its events: those with the same key are handled one after another, in log order (see Reaction). */
  orderingKey?(event: DeliveredEvent): string;
  /** Tables this projection alone writes; a rebuild empties them and replays the log. */
  tables: string[];
  apply(event: DeliveredEvent, tx: Transaction): Promise<void>;
}

interface ReactionBase {
  name: string;
  types: string[];
  /**
   * What orders its events: events with the same key are handled strictly one after another, in log order; events
   * with different keys run side by side (up to `concurrency`). Default: the event's aggregate id.
   */
  orderingKey?(event: DeliveredEvent): string;
  /** Keys handled at once at most; default SUBSCRIBER_CONCURRENCY. */
  concurrency?: number;
  /** Set when the reaction only writes its own tables, so a rebuild may empty them and replay it. */
  tables?: string[];
}

/**
 * Changes state and may emit events, inside a transaction the runtime opens and commits with the record that the
 * event was handled: no I/O in it. Under load many events share one transaction; when one of them throws, the
 * transaction is undone and runs again without it, so `apply` may run more than once for an event, but only one
 * run commits. It must therefore do nothing but database work through `uow`.
 */
export interface TransactionalReaction extends ReactionBase {
  apply(event: DeliveredEvent, uow: UnitOfWork, ctx: { readonly attempt: number; readonly log: Logger }): Promise<void>;
}

/** Calls something outside the database (mail, SMS, a gateway), then records what it did with its own commits. */
export interface EffectfulReaction extends ReactionBase {
  handle(event: DeliveredEvent, ctx: ReactionContext): Promise<void>;
}

/** Does something after the commit, one event at a time per subscriber, retried, then dead-lettered. */
export type Reaction = TransactionalReaction | EffectfulReaction;

export function isTransactional(reaction: Reaction): reaction is TransactionalReaction {
  return 'apply' in reaction;
}

export interface ReactionContext {
  readonly subscriber: string;
  readonly attempt: number;
  readonly log: Logger;
  /**
   * Commits a change together with the record that this event was handled: after it, a redelivery is skipped, and
   * when another consumer recorded the event first, `fn` does not run (undefined). A reaction with several
   * independent effects (mail, then SMS) commits each with the module's own `commit` and its own per-effect
   * record instead, and lets the host record the event once `handle` has resolved.
   */
  commit<T>(fn: (uow: UnitOfWork) => Promise<T>): Promise<T | undefined>;
}

/** Work a module runs in the background: once at start, then every `everyMs` after the previous run ended. */
export interface BackgroundJob {
  name: string;
  everyMs?: number;
  /** Should return soon after `signal` aborts (on stop). */
  run(signal: AbortSignal): Promise<void>;
}

/** What a module builds once its tables exist. */
export interface ModuleParts {
  projections?: Projection[];
  reactions?: Reaction[];
  routes?(router: Router): void;
  /** Scheduled work: started after delivery starts, stopped before the transport stops. */
  jobs?: BackgroundJob[];
  stop?(): Promise<void> | void;
}

export interface ModuleDeps {
  config: Config;
  /** This process, as owner of what it holds (payments in flight, say) among several on one database. */
  instance: Instance;
  /** Reads, and writes that commit on their own (nothing that must commit with events). */
  db: Sql;
  /** Read access to the log (for replays); writes go through `commit`. */
  store: EventStore;
  commit: Commit;
  log: Logger;
  /**
   * Idempotency-Key for a route that parses its own body (multipart), mounted after its parser: `hashOf` hashes what
   * the parser read (see requestHash). JSON routes have it already.
   */
  idempotentRequest(hashOf: (req: Request) => string): RequestHandler;
}

/** A module as the host loads it: migrations first, then `create` with tables in place. */
export interface ModuleDefinition {
  name: ModuleName;
  migrations: Migration[];
  create(deps: ModuleDeps): ModuleParts;
}

export interface PaybusModule extends ModuleParts {
  name: ModuleName;
}
