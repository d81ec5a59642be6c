// One subscriber's mailbox: events are handled in log order. Their first attempts run inside a transaction the
// transport shares among all subscribers (one commit a turn, see MemoryTransport), and from the first attempt
// that throws, goes async or must wait behind a dead-letter retry, one at a time through the processor.
import type { StoredEvent } from '../events/envelope.js';
import { matchesAny } from '../events/patterns.js';
import type { EventStore } from '../store/EventStore.js';
import { type AsyncEventProcessor, attemptEnded, type FirstAttempt, type ProcessedSubscriber } from './AsyncEventProcessor.js';
import type { SubscriberLedger } from './SubscriberLedger.js';

const CATCH_UP_BATCH = 500;
/** Events per transaction and actor (a turn holds every waiting actor's batch): enough to share a commit, few
 * enough that HTTP requests wait only milliseconds. */
const BATCH = 100;

/** First attempts made inside one transaction: `done` of them finished; `first` is the attempt at the next one. */
export interface Batch {
  events: StoredEvent[];
  done: number;
  first?: FirstAttempt;
}

export class SubscriberActor {
  private readonly mailbox: StoredEvent[] = [];
  private running: Promise<void> | undefined;
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
    /** The host's commit, for catch-up's own batches. */
    private readonly commit: <T>(fn: () => T) => T,
    /** Asks the transport for a turn: the mailbox has events and nothing of this actor runs. */
    private readonly wake: () => void,
  ) {}

  /** Catches up from the recorded checkpoint, then serves the mailbox. */
  start(): Promise<void> {
    this.lastSeen = this.ledger.checkpoint(this.subscriber.name);
    this.running = this.catchUp();
    return this.running.finally(() => this.settle());
  }

  enqueue(event: StoredEvent): void {
    if (this.stopped) return;
    this.mailbox.push(event);
    // The transport runs the batch on a later turn: a handler must never run inside the publisher's call stack,
    // where its own commits would be published before the rest of the publisher's batch.
    if (!this.running) this.wake();
  }

  isIdle(): boolean {
    return !this.running && this.mailbox.length === 0;
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

  /** True when the mailbox has events and nothing of this actor runs: it has a part in the next turn. */
  waiting(): boolean {
    return !this.running && !this.stopped && this.mailbox.length > 0;
  }

  /** The next events of the mailbox, in order and not seen before (possibly none: all were seen). */
  take(): StoredEvent[] {
    const events: StoredEvent[] = [];
    while (this.mailbox.length > 0 && events.length < BATCH) {
      const event = this.mailbox.shift()!;
      if (event.position > this.lastSeen && event.position > (events[events.length - 1]?.position ?? 0)) events.push(event);
    }
    return events;
  }

  /** Inside the caller's transaction: first attempts, in order, while the handler finishes synchronously. */
  attempt(events: StoredEvent[]): Batch {
    const batch: Batch = { events, done: 0 };
    for (; batch.done < events.length; batch.done++) {
      const attempt = this.processor.attemptNow(this.subscriber, events[batch.done]!);
      if (attempt === 'handled') continue;
      if (attempt !== 'busy') batch.first = attempt;
      break;
    }
    return batch;
  }

  /** After the transaction (`committed` or not): what the batch left runs as this actor's work. */
  finish(batch: Batch, committed: boolean): void {
    this.running = this.finishBatch(batch, committed).finally(() => this.settle());
  }

  private async finishBatch(batch: Batch, committed: boolean): Promise<void> {
    if (!committed) {
      // The transaction failed (not a handler, or an error that ended SQLite's transaction; also a commit listener
      // throwing after COMMIT, where the inbox then skips what did stand): every event goes the slow way, once an
      // attempt that went async has ended (it must not run twice at once).
      await attemptEnded(batch.first);
      batch.done = 0;
      batch.first = undefined;
    }
    for (const event of batch.events.slice(0, batch.done)) {
      this.processor.handledOutside(this.subscriber, event);
      this.lastSeen = event.position;
    }
    let first = batch.first;
    for (const event of batch.events.slice(batch.done)) {
      if (this.stopped) return;
      const outcome = await (first ? this.processor.resume(this.subscriber, event, first) : this.processor.process(this.subscriber, event));
      first = undefined;
      if (outcome === 'aborted') return void (this.stopped = true);
      this.lastSeen = event.position;
    }
  }

  private async catchUp(): Promise<void> {
    // Exact types can be filtered by the store; wildcards are matched here.
    const exact = this.patterns.every((p) => !p.includes('*')) ? this.patterns : undefined;
    for (;;) {
      const read = this.store.readAll({ after: this.lastSeen, limit: CATCH_UP_BATCH, types: exact });
      if (read.length === 0 || this.stopped) return;
      const last = read[read.length - 1]!.position;
      const ours = read.filter((event) => matchesAny(event.type, this.patterns));
      for (let i = 0; i < ours.length && !this.stopped; i += BATCH) {
        const events = ours.slice(i, i + BATCH);
        let batch: Batch = { events, done: 0 };
        let committed = true;
        try {
          this.commit(() => (batch = this.attempt(events)));
        } catch {
          committed = false;
        }
        await this.finishBatch(batch, committed);
      }
      if (this.stopped) return;
      // Everything up to here is handled or not ours: remember it, so a restart does not scan it again.
      this.lastSeen = last;
      this.ledger.advance(this.subscriber.name, last);
    }
  }

  private settle(): void {
    this.running = undefined;
    if (this.mailbox.length > 0 && !this.stopped) return this.wake();
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
