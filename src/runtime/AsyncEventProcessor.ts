// Runs a subscriber's handler with exponential backoff; after the last attempt the event becomes a dead letter.
import pRetry, { AbortError } from 'p-retry';
import type { Logger } from 'pino';
import type { EventEnvelope } from '../events/envelope.js';
import { ConflictError, errorMessage, MissingStateError, NotFoundError } from '../errors.js';
import type { DeadLetters } from './DeadLetters.js';
import type { ProcessedSubscriber } from './subscribers.js';

export interface RetryPolicy {
  attempts: number;
  minMs: number;
  maxMs: number;
}

export type ProcessOutcome = 'handled' | 'dead-lettered' | 'aborted';

/** A first attempt its caller made itself (in a batch's transaction) and that failed. */
export interface FailedAttempt {
  error: unknown;
}

export interface ProcessorHooks {
  onRetry?(subscriber: string, event: EventEnvelope, attempt: number, error: unknown): void;
  onHandled?(subscriber: string, event: EventEnvelope): void;
  onDeadLetter?(subscriber: string, event: EventEnvelope, error: unknown): void;
}

/** The MissingStateError an error is or wraps (a projection's is wrapped in a ProjectionError). */
function missingStateIn(error: unknown): MissingStateError | undefined {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) if (e instanceof MissingStateError) return e;
  return undefined;
}

const turnOf = (subscriber: ProcessedSubscriber, event: EventEnvelope) => `${subscriber.name}\n${subscriber.keyOf(event)}`;

export class AsyncEventProcessor {
  private readonly subscribers = new Map<string, ProcessedSubscriber>();
  private readonly abort = new AbortController();
  /**
   * One turn at a time per subscriber and ordering key: a dead-letter retry waits for the event of its key in hand,
   * and vice versa; other keys go on.
   */
  private readonly turns = new Map<string, Promise<unknown>>();

  constructor(
    private readonly policy: RetryPolicy,
    readonly deadLetters: DeadLetters,
    private readonly logger: Logger,
    private readonly hooks: ProcessorHooks = {},
  ) {}

  register(subscriber: ProcessedSubscriber): void {
    if (this.subscribers.has(subscriber.name)) throw new Error(`subscriber ${subscriber.name} is registered twice`);
    this.subscribers.set(subscriber.name, subscriber);
  }

  subscriberNames(): string[] {
    return [...this.subscribers.keys()];
  }

  /** Stops waiting between retries: events in the middle of a backoff stay unrecorded and run again on the next start. */
  stop(): void {
    this.abort.abort();
  }

  process(subscriber: ProcessedSubscriber, event: EventEnvelope): Promise<ProcessOutcome> {
    return this.inTurn(turnOf(subscriber, event), () => this.processNow(subscriber, event));
  }

  /** True while an event or a dead-letter retry of this subscriber and key is in hand: nothing may overtake it. */
  busy(subscriber: ProcessedSubscriber, event: EventEnvelope): boolean {
    return this.turns.has(turnOf(subscriber, event)) || this.abort.signal.aborted;
  }

  /** A first attempt made in a batch's transaction succeeded: counted like any other handled event. */
  handledOutside(subscriber: ProcessedSubscriber, event: EventEnvelope): void {
    this.hooks.onHandled?.(subscriber.name, event);
  }

  /** Takes over an event whose first attempt (in a batch) failed: goes on from attempt 2 exactly as `process` would. */
  resume(subscriber: ProcessedSubscriber, event: EventEnvelope, first: FailedAttempt): Promise<ProcessOutcome> {
    return this.inTurn(turnOf(subscriber, event), () => this.processNow(subscriber, event, first));
  }

  private inTurn<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.turns.get(name) ?? Promise.resolve();
    const mine = previous.then(fn, fn);
    const settled = mine.catch(() => undefined);
    this.turns.set(name, settled);
    void settled.then(() => {
      if (this.turns.get(name) === settled) this.turns.delete(name);
    });
    return mine;
  }

  private logFor(subscriber: ProcessedSubscriber, event: EventEnvelope): Logger {
    return this.logger.child({ subscriber: subscriber.name, eventId: event.id, eventType: event.type, correlationId: event.metadata.correlationId });
  }

  /** Attempts up to the policy's last, then the dead letter; `failedFirst` is a first attempt already made. */
  private async processNow(subscriber: ProcessedSubscriber, event: EventEnvelope, failedFirst?: { error: unknown }): Promise<ProcessOutcome> {
    const log = this.logFor(subscriber, event);
    let attempts = 0;
    try {
      await pRetry(
        async (attempt) => {
          if (this.abort.signal.aborted) throw new AbortError('processor stopped');
          attempts = attempt;
          if (attempt === 1 && failedFirst) throw failedFirst.error;
          await subscriber.handle(event, attempt);
        },
        {
          retries: this.policy.attempts - 1,
          factor: 2,
          minTimeout: this.policy.minMs,
          maxTimeout: this.policy.maxMs,
          randomize: true,
          signal: this.abort.signal,
          onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
            if (retriesLeft > 0) {
              log.warn({ attempt: attemptNumber, err: errorMessage(error) }, 'handler failed, will retry');
              this.hooks.onRetry?.(subscriber.name, event, attemptNumber, error);
            }
          },
        },
      );
      this.hooks.onHandled?.(subscriber.name, event);
      return 'handled';
    } catch (error) {
      if (this.abort.signal.aborted) return 'aborted';
      return await this.deadLetter(subscriber, event, error, attempts);
    }
  }

  private async deadLetter(subscriber: ProcessedSubscriber, event: EventEnvelope, error: unknown, attempts: number): Promise<ProcessOutcome> {
    // An event about state never seen (it came before the event that makes it) says so: the operator's first clue.
    const missing = missingStateIn(error);
    const fields = missing ? { attempts, err: errorMessage(error), missingState: missing.missing } : { attempts, err: errorMessage(error) };
    this.logFor(subscriber, event).error(fields, 'handler failed on its last attempt; event dead-lettered');
    await this.deadLetters.add(subscriber.name, event, error, attempts);
    this.hooks.onDeadLetter?.(subscriber.name, event, error);
    return 'dead-lettered';
  }

  /**
   * Runs a dead letter's handler once more: success removes it, failure keeps it with one more attempt counted. Under
   * a lock across processes: two operators retrying one dead letter at once on two replicas re-deliver it once; the
   * second hears 409, or 404 once the first removed it.
   */
  async retryDeadLetter(id: string): Promise<'handled' | 'failed'> {
    const letter = await this.deadLetters.get(id);
    if (!letter) throw new NotFoundError(`no dead letter ${id}`);
    const subscriber = this.subscribers.get(letter.subscriber);
    if (!subscriber) throw new NotFoundError(`subscriber ${letter.subscriber} of dead letter ${id} does not run in this process`);
    // The key's turn first, at once: an event of the key that arrives meanwhile waits behind the retry, lock and all.
    return this.inTurn(turnOf(subscriber, letter.event), async () => {
      const hold = await this.deadLetters.holdForRetry(id);
      if (!hold) throw new ConflictError(`dead letter ${id} is being retried already; see its outcome once that retry ends`);
      try {
        return await this.retryNow(id, subscriber, letter.event);
      } finally {
        await hold.release();
      }
    });
  }

  private async retryNow(id: string, subscriber: ProcessedSubscriber, event: EventEnvelope): Promise<'handled' | 'failed'> {
    // Read again under the lock: a retry that ended meanwhile removed it, or counted one more attempt.
    const letter = await this.deadLetters.get(id);
    if (!letter) throw new NotFoundError(`no dead letter ${id}`);
    try {
      await subscriber.handle(event, letter.attempts + 1);
      await this.deadLetters.delete(id);
      this.hooks.onHandled?.(subscriber.name, event);
      return 'handled';
    } catch (error) {
      await this.deadLetters.recordFailedRetry(id, error, 1);
      return 'failed';
    }
  }

  async discardDeadLetter(id: string): Promise<void> {
    if (!(await this.deadLetters.delete(id))) throw new NotFoundError(`no dead letter ${id}`);
  }
}
