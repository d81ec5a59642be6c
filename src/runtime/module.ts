// What a domain module declares to the host, and what the host gives it.
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { Config, ModuleName } from '../config.js';
import type { Migration } from '../db/migrate.js';
import type { Db } from '../db/openDatabase.js';
import type { EventEnvelope, StoredEvent } from '../events/envelope.js';
import type { AppendOptions, EventStore } from '../store/EventStore.js';

/** The inside of one SQLite transaction: read-model changes through `db`, events through `append`. */
export interface UnitOfWork {
  readonly db: Db;
  append(events: readonly EventEnvelope[], options?: AppendOptions): StoredEvent[];
}

export type Commit = <T>(fn: (uow: UnitOfWork) => T) => T;

/** A commit that shares its transaction with the others asked for in the same turn; settles once durable. */
export type GroupedCommit = <T>(fn: (uow: UnitOfWork) => T) => Promise<T>;

/**
 * Keeps facts in the module's own tables. Synchronous, no I/O, no events: the host runs it inside the
 * publisher's transaction when both share a process, and from the module's queue otherwise.
 */
export interface Projection {
  name: string;
  types: string[];
  /** Tables this projection alone writes; a rebuild empties them and replays the log. */
  tables: string[];
  apply(event: EventEnvelope, db: Db): void;
}

export interface ReactionContext {
  readonly subscriber: string;
  readonly attempt: number;
  readonly log: Logger;
  /**
   * Commits effects and emitted events together with the record that this event was handled: after it, a
   * redelivery is skipped. A reaction with several independent effects (mail, then SMS) commits each one with
   * the module's own `commit` and its own per-effect record, and lets the host record the event at the end.
   * While the handler runs synchronously it may be one of a batch: its commits then join the batch's transaction,
   * each in a savepoint (a commit that throws is undone alone), and are durable before the event counts as handled.
   */
  commit: Commit;
}

/** Does something after the commit (mail, state changes that emit events, counting), one event at a time. */
export interface Reaction {
  name: string;
  types: string[];
  /** Set when the reaction only writes its own tables, so a rebuild may empty them and replay it. */
  tables?: string[];
  handle(event: EventEnvelope, ctx: ReactionContext): void | Promise<void>;
}

/** What a module builds once its tables exist. */
export interface ModuleParts {
  projections?: Projection[];
  reactions?: Reaction[];
  routes?(router: Router): void;
  stop?(): Promise<void> | void;
}

export interface ModuleDeps {
  config: Config;
  db: Db;
  /** Read access to the log (for replays); writes go through `commit`. */
  store: EventStore;
  commit: Commit;
  /** For request paths many clients run at once: one transaction for all of a turn's (see ModuleHost.commitGrouped). */
  commitGrouped: GroupedCommit;
  log: Logger;
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
