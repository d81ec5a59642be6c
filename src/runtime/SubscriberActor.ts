// One subscriber's mailbox: events are handled in log order, many to a transaction while the handler finishes
// synchronously, and through the processor (retries, dead letters) from the first one that does not.
import type { StoredEvent } from '../events/envelope.js';
import { matchesAny } from '../events/patterns.js';
import type { EventStore } from '../store/EventStore.js';
import type { AsyncEventProcessor, FirstAttempt, ProcessedSubscriber } from './AsyncEventProcessor.js';
import type { SubscriberLedger } from './SubscriberLedger.js';

const CATCH_UP_BATCH = 500;
/** Events per transaction: enough to share a commit, few enough that HTTP requests wait at most a few ms. */
const BATCH = 100;

export class SubscriberActor {
  private readonly mailbox: StoredEvent[] = [];
  private running: Promise<void> | undefined;
  private scheduled = false;
  private stopped = false;
  /** Highest position this actor has dealt with; mailbox copies at or below it are skipped. */
  private lastSeen = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(
    readonly subscriber: ProcessedSubscriber,
    readonly patterns: readonly string[],
    private readonly processor: AsyncEventProcessor,
    private readonly store: EventStore,
    private readonly ledger: SubscriberLedger,
    /** The host's commit: a batch's first attempts run inside one. */
    private readonly commit: <T>(fn: () => T) => T,
  ) {}

  /** Catches up from the recorded checkpoint, then serves the mailbox. */
  start(): Promise<void> {
    this.lastSeen = this.ledger.checkpoint(this.subscriber.name);
    this.running = this.catchUp().then(() => this.drain());
    return this.running.finally(() => this.settle());
  }

  enqueue(event: StoredEvent): void {
    if (this.stopped) return;
    this.mailbox.push(event);
    // Deferred: a handler must never run inside the publisher's call stack, where its own commits
    // would be published before the rest of the publisher's batch.
    if (!this.running && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        if (!this.running && !this.stopped) this.running = this.drain().finally(() => this.settle());
      });
    }
  }

  isIdle(): boolean {
    return !this.running && !this.scheduled && this.mailbox.length === 0;
  }

  /** Resolves when the mailbox is empty and nothing runs. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking events; resolves when the handler in flight has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.mailbox.length = 0;
    await this.running;
    this.settle();
  }

  backlog(): number {
    return this.mailbox.length;
  }

  private async catchUp(): Promise<void> {
    // Exact types can be filtered by the store; wildcards are matched here.
    const exact = this.patterns.every((p) => !p.includes('*')) ? this.patterns : undefined;
    for (;;) {
      const batch = this.store.readAll({ after: this.lastSeen, limit: CATCH_UP_BATCH, types: exact });
      if (batch.length === 0 || this.stopped) return;
      const last = batch[batch.length - 1]!.position;
      const ours = batch.filter((event) => matchesAny(event.type, this.patterns));
      for (let i = 0; i < ours.length && !this.stopped; i += BATCH) await this.handleAll(ours.slice(i, i + BATCH));
      if (this.stopped) return;
      // Everything up to here is handled or not ours: remember it, so a restart does not scan it again.
      this.lastSeen = last;
      this.ledger.advance(this.subscriber.name, last);
    }
  }

  private async drain(): Promise<void> {
    while (this.mailbox.length > 0 && !this.stopped) {
      const batch: StoredEvent[] = [];
      while (this.mailbox.length > 0 && batch.length < BATCH) {
        const event = this.mailbox.shift()!;
        if (event.position > this.lastSeen && event.position > (batch[batch.length - 1]?.position ?? 0)) batch.push(event);
      }
      await this.handleAll(batch);
      // Lets HTTP requests and other mailboxes in between batches of a long backlog.
      if (this.mailbox.length > 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * First attempts in one transaction while the handler finishes synchronously; from the first that throws, goes
   * async or waits behind a dead-letter retry, one at a time through the processor.
   */
  private async handleAll(events: StoredEvent[]): Promise<void> {
    let done = 0;
    let first: FirstAttempt | undefined;
    try {
      this.commit(() => {
        for (; done < events.length; done++) {
          const attempt = this.processor.attemptNow(this.subscriber, events[done]!);
          if (attempt === 'handled') continue;
          if (attempt !== 'busy') first = attempt;
          return;
        }
      });
    } catch {
      // The transaction itself failed (not a handler): nothing of it stands; every event goes the slow way, once
      // an attempt that went async has ended (it must not run twice at once).
      if (first && !('error' in first)) await first.catch(() => {});
      done = 0;
      first = undefined;
    }
    for (const event of events.slice(0, done)) {
      this.processor.handledOutside(this.subscriber, event);
      this.lastSeen = event.position;
    }
    for (const event of events.slice(done)) {
      if (this.stopped) return;
      const outcome = await (first ? this.processor.resume(this.subscriber, event, first) : this.processor.process(this.subscriber, event));
      first = undefined;
      if (outcome === 'aborted') return void (this.stopped = true);
      this.lastSeen = event.position;
    }
  }

  private settle(): void {
    this.running = undefined;
    if (this.mailbox.length > 0 && !this.stopped) {
      this.running = this.drain().finally(() => this.settle());
      return;
    }
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
