// The one write path: a transaction in which appended events, their outbox rows and the inline projections
// commit together with the caller's changes; the events are handed on only after COMMIT.
import type { StoredEvent } from '../events/envelope.js';
import { matchesAny } from '../events/patterns.js';
import type { Storage, Transaction, TransactionOptions } from '../storage/Storage.js';
import type { EventStore } from '../store/EventStore.js';
import type { Outbox } from '../store/Outbox.js';
import type { Commit, CommitOptions, Projection, UnitOfWork } from './module.js';
import type { ProcessedSubscriber } from './subscribers.js';

/** A projection as the unit of work runs it inline: the subscriber records it (inbox, checkpoint). */
export interface InlineProjection {
  projection: Projection;
  subscriber: ProcessedSubscriber;
}

export interface UnitOfWorkDeps {
  storage: Storage;
  store: EventStore;
  outbox: Outbox;
  /** Called after COMMIT with what each append stored, in commit order. */
  committed(events: readonly StoredEvent[], outboxIds: readonly number[]): void;
}

export class UnitsOfWork {
  /** Projections of the modules in this process, run inside the transaction of every append. */
  readonly inline: InlineProjection[] = [];

  constructor(private readonly deps: UnitOfWorkDeps) {}

  /**
   * Grouped unless asked otherwise: the commits that many requests and subscribers ask for in one turn share one
   * transaction where the engine gains from it (SQLite), each in its own savepoint. A commit for a request with an
   * Idempotency-Key stores its result with the key, or returns the result a process before this one stored.
   */
  commit: Commit = <T>(fn: (uow: UnitOfWork) => Promise<T>, options: CommitOptions = {}): Promise<T> => {
    const transaction: TransactionOptions = { grouped: options.grouped ?? true };
    const keyCommits = options.context?.keyCommits;
    if (!keyCommits) return this.deps.storage.transaction((tx) => fn(this.within(tx)), transaction);
    const step = keyCommits.next();
    if (step.made) return Promise.resolve(step.result as T);
    return this.deps.storage.transaction(async (tx) => {
      const result = await fn(this.within(tx));
      await keyCommits.save(tx, result);
      return result;
    }, transaction);
  };

  /** The unit of work of an open transaction. */
  within(tx: Transaction): UnitOfWork {
    const uow: UnitOfWork = {
      tx,
      append: async (events, options) => {
        const stored = await this.deps.store.append(tx, events, options);
        if (stored.length === 0) return stored;
        const outboxIds = await this.deps.outbox.add(tx, stored);
        for (const event of stored) {
          for (const { projection, subscriber } of this.inline) if (matchesAny(event.type, projection.types)) await subscriber.applyIn!(uow, event, 1);
        }
        // Registered in the transaction (or savepoint) that appended: undone with it, in commit order with the rest.
        tx.afterCommit(() => this.deps.committed(stored, outboxIds));
        return stored;
      },
      savepoint: (fn) => tx.savepoint((inner) => fn(this.within(inner))),
    };
    return uow;
  }
}
