// Projections and reactions as the processor runs them: each records that it handled an event in the same
// transaction as what it did, claiming the event first so a second delivery changes nothing.
import type { Logger } from 'pino';
import type { EventEnvelope } from '../events/envelope.js';
import type { Commit, DeliveredEvent, Projection, Reaction, ReactionContext, UnitOfWork } from './module.js';
import { isTransactional } from './module.js';
import type { SubscriberLedger } from './SubscriberLedger.js';

/** What the processor and the batch runner run: a named handler that records its own success. */
export interface ProcessedSubscriber {
  readonly name: string;
  /** The ordering key of an event for this subscriber (see Reaction.orderingKey). */
  keyOf(event: DeliveredEvent): string;
  /**
   * Present when the subscriber only writes the database: one attempt inside a transaction its caller commits,
   * so a batch of events can share one commit (each attempt in its own savepoint).
   */
  applyIn?(uow: UnitOfWork, event: DeliveredEvent, attempt: number): Promise<void>;
  /** One attempt on its own: its own transaction, or its own I/O and commits. */
  handle(event: DeliveredEvent, attempt: number): Promise<void>;
}

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

const byAggregate = (event: DeliveredEvent) => event.aggregateId;

export interface SubscriberDeps {
  commit: Commit;
  ledger: SubscriberLedger;
  log: Logger;
}

export function projectionSubscriber(projection: Projection, { commit, ledger }: SubscriberDeps): ProcessedSubscriber {
  const applyIn = async (uow: UnitOfWork, event: DeliveredEvent) => {
    // The claim makes this a no-op when the projection already ran inline in the publisher's transaction.
    if (!(await ledger.claim(uow.tx, projection.name, event.id))) return;
    try {
      await projection.apply(event, uow.tx);
    } catch (error) {
      throw new ProjectionError(projection.name, event, error);
    }
    // Inline and in catch-up the event carries its position: the checkpoint says where a later catch-up resumes.
    if (event.position !== undefined) await ledger.advance(uow.tx, projection.name, event.position);
  };
  return { name: projection.name, keyOf: projection.orderingKey ?? byAggregate, applyIn, handle: (event) => commit((uow) => applyIn(uow, event)) };
}

export function reactionSubscriber(reaction: Reaction, { commit, ledger, log }: SubscriberDeps): ProcessedSubscriber {
  const name = reaction.name;
  const keyOf = reaction.orderingKey ?? byAggregate;
  const logFor = (event: EventEnvelope) => log.child({ subscriber: name, eventId: event.id, eventType: event.type, correlationId: event.metadata.correlationId });
  if (isTransactional(reaction)) {
    const applyIn = async (uow: UnitOfWork, event: DeliveredEvent, attempt: number) => {
      if (!(await ledger.claim(uow.tx, name, event.id))) return;
      // The event's logger is made only when the reaction logs: most never do, and a pino child per event costs.
      await reaction.apply(event, uow, {
        attempt,
        get log() {
          return logFor(event);
        },
      });
    };
    return { name, keyOf, applyIn, handle: (event, attempt) => commit((uow) => applyIn(uow, event, attempt)) };
  }
  return {
    name,
    keyOf,
    async handle(event, attempt) {
      if (await ledger.hasHandled(name, event.id)) return;
      let recorded = false;
      const ctx: ReactionContext = {
        subscriber: name,
        attempt,
        get log() {
          return logFor(event);
        },
        commit: async (fn) => {
          const result = await commit(async (uow) => ((await ledger.claim(uow.tx, name, event.id)) ? fn(uow) : undefined));
          recorded = true;
          return result;
        },
      };
      await reaction.handle(event, ctx);
      if (!recorded) await commit((uow) => ledger.claim(uow.tx, name, event.id));
    },
  };
}
