// Memory mode: committed events go through the EventBus to each reaction's feed in this process; the feeds read
// the log themselves whenever they are behind.
import type { EventBus } from '../bus/EventBus.js';
import type { StoredEvent } from '../events/envelope.js';
import type { Outbox } from '../store/Outbox.js';
import type { EventTransport, Subscriptions } from './EventTransport.js';
import { type FeedDeps, type FeedOptions, SubscriptionFeed } from './SubscriptionFeed.js';
import { errorMessage } from '../errors.js';

export interface MemoryTransportDeps extends FeedDeps {
  outbox: Outbox;
  /** Feed settings; `useBus` is true where this process is the only writer (SQLite). */
  feed: FeedOptions;
}

export class MemoryTransport implements EventTransport {
  readonly feeds: SubscriptionFeed[] = [];
  private readonly unsubscribes: (() => void)[] = [];
  private unmarked: number[] = [];
  private marking: Promise<void> | undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly deps: MemoryTransportDeps,
  ) {}

  async start(subscriptions: Subscriptions): Promise<void> {
    for (const { subscriber, types } of subscriptions.reactions) {
      const feed = new SubscriptionFeed(subscriber, types, subscriptions.runner(subscriber.name), this.deps, this.deps.feed);
      this.feeds.push(feed);
      for (const pattern of types) this.unsubscribes.push(this.bus.subscribe(pattern, (e: StoredEvent) => feed.offer(e)));
    }
    await this.publishLeftovers();
    // Catch-up runs in the background so HTTP can serve meanwhile; idle() waits for it.
    await Promise.all(this.feeds.map((f) => f.start()));
  }

  afterCommit(events: readonly StoredEvent[], outboxIds: readonly number[]): void {
    for (const event of events) this.bus.publish(event);
    // One UPDATE (one more commit) per turn of the event loop, not per commit. Rows a crash leaves unmarked are
    // published again at start; the subscribers' records make that harmless.
    this.unmarked.push(...outboxIds);
    this.scheduleMark();
  }

  async idle(): Promise<void> {
    // A handler may commit events that land in other feeds: wait until every feed is quiet at once.
    for (;;) {
      await Promise.all(this.feeds.map((f) => f.idle()));
      await this.marking;
      await new Promise((resolve) => setImmediate(resolve));
      if (this.feeds.every((f) => f.isIdle()) && !this.marking) return;
    }
  }

  ready(): boolean {
    return true;
  }

  async stop(): Promise<void> {
    for (const unsubscribe of this.unsubscribes) unsubscribe();
    await Promise.all(this.feeds.map((f) => f.stop()));
    await this.marking;
  }

  /** Rows a crash left unpublished: bus listeners get them now; the feeds find them in their catch-up anyway. */
  private async publishLeftovers(): Promise<void> {
    const { outbox, store } = this.deps;
    for (let rows = await outbox.pending(500); rows.length > 0; rows = await outbox.pending(500, rows[rows.length - 1]!.id)) {
      for (const row of rows) {
        const event = await store.getById(row.eventId);
        if (event) this.bus.publish(event);
      }
      await outbox.markPublished(rows.map((r) => r.id));
    }
  }

  private scheduleMark(): void {
    if (this.marking || this.unmarked.length === 0) return;
    this.marking = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.markPublished());
  }

  private async markPublished(): Promise<void> {
    const ids = this.unmarked;
    this.unmarked = [];
    try {
      await this.deps.outbox.markPublished(ids);
    } catch (error) {
      this.deps.log.warn({ err: errorMessage(error) }, 'could not mark outbox rows published; they go out again at the next start');
    } finally {
      this.marking = undefined;
      this.scheduleMark(); // ids that came while this UPDATE ran
    }
  }
}
