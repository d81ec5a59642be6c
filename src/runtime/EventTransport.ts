// What carries committed events onward (the in-process bus, or the outbox relay to RabbitMQ), and what it gets
// from the host to deliver them: the subscribers of this process and a way to run them.
import type { StoredEvent } from '../events/envelope.js';
import type { BatchRunner, BatchRunnerOptions } from './BatchRunner.js';
import type { PaybusModule } from './module.js';
import type { Ownership, OwnershipHandlers } from './Ownership.js';
import type { ProcessedSubscriber } from './subscribers.js';

/** A subscriber and the event types it takes. */
export interface Step {
  subscriber: ProcessedSubscriber;
  types: readonly string[];
}

export interface Subscriptions {
  /** Every reaction of this process, each fed on its own (memory mode). */
  reactions: Step[];
  /** Every module of this process with its projections, then its reactions (a module queue, broker mode). */
  modules: { module: PaybusModule; steps: Step[] }[];
  /** A runner that commits through the host and retries through its processor. */
  runner(name: string, options?: BatchRunnerOptions): BatchRunner;
  /**
   * Runs a job only while this process holds it among all on the database: a lease (subscribers, jobs), or a lock
   * that its holder's death frees at once (the relay). See Ownership.
   */
  own(name: string, kind: 'lease' | 'lock', handlers: OwnershipHandlers): Ownership;
}

/** How far a subscriber is behind: events committed that it has not handled yet. */
export interface SubscriberLag {
  subscriber: string;
  events: number;
  /** The count stopped at its limit: at least this many. */
  capped: boolean;
}

export interface EventTransport {
  start(subscriptions: Subscriptions): Promise<void>;
  /** Called after every commit that appended events, in commit order. */
  afterCommit(events: readonly StoredEvent[], outboxIds: readonly number[]): void;
  /** Resolves when every event committed so far has been handled by this process's subscribers. */
  idle(): Promise<void>;
  ready(): boolean;
  /** Each subscriber's lag, where the transport can tell. */
  lag?(): Promise<SubscriberLag[]>;
  stop(): Promise<void>;
}
