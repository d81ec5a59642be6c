// One subscriber's mailbox: events are handled one at a time, in log order, each through the processor.
import type { StoredEvent } from '../events/envelope.js';
import { matchesAny } from '../events/patterns.js';
import type { EventStore } from '../store/EventStore.js';
import type { AsyncEventProcessor, ProcessedSubscriber } from './AsyncEventProcessor.js';
import type { SubscriberLedger } from './SubscriberLedger.js';

const CATCH_UP_BATCH = 500;

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
      for (const event of batch) {
        if (this.stopped) return;
        if (matchesAny(event.type, this.patterns)) await this.handle(event);
        this.lastSeen = event.position;
      }
      // Everything up to here is handled or not ours: remember it, so a restart does not scan it again.
      if (!this.stopped) this.ledger.advance(this.subscriber.name, this.lastSeen);
    }
  }

  private async drain(): Promise<void> {
    while (this.mailbox.length > 0 && !this.stopped) {
      const event = this.mailbox.shift()!;
      if (event.position <= this.lastSeen) continue;
      await this.handle(event);
      this.lastSeen = event.position;
    }
  }

  private async handle(event: StoredEvent): Promise<void> {
    const outcome = await this.processor.process(this.subscriber, event);
    if (outcome === 'aborted') this.stopped = true;
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
