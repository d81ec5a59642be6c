// Memory mode: committed events go through the EventBus to each reaction's feed in this process; the feeds read
// the log themselves whenever they are behind. Among several processes on one database, each reaction runs in
// the one that holds its lease; the others stand by and take it over when its holder is gone.
import type { EventBus } from '../bus/EventBus.js';
import type { StoredEvent } from '../events/envelope.js';
import type { Outbox } from '../store/Outbox.js';
import { matchesAny } from '../events/patterns.js';
import type { EventTransport, SubscriberLag, Subscriptions } from './EventTransport.js';
import type { Ownership } from './Ownership.js';
import { type FeedDeps, type FeedOptions, SubscriptionFeed } from './SubscriptionFeed.js';
import { errorMessage } from '../errors.js';

export interface MemoryTransportDeps extends FeedDeps {
  outbox: Outbox;
  /** Hears of commits in other processes on the database (PostgreSQL), so the feeds read on without polling. */
  listenForCommits?(fn: () => void): Promise<() => Promise<void>>;
  /** Feed settings; `useBus` is true where this process is the only writer (SQLite). */
  feed: FeedOptions;
}

/** Events looked at, at most, to count a subscriber's lag: a subscriber further behind shows "at least". */
const LAG_SCAN = 100_000;

export class MemoryTransport implements EventTransport {
  /** The feeds of the reactions this process holds now. */
  private readonly running = new Map<string, SubscriptionFeed>();
  private readonly owners: Ownership[] = [];
  private unlisten: (() => Promise<void>) | undefined;
  private reactions: Subscriptions['reactions'] = [];
  private unmarked: number[] = [];
  private marking: Promise<void> | undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly deps: MemoryTransportDeps,
  ) {}

  get feeds(): SubscriptionFeed[] {
    return [...this.running.values()];
  }

  async start(subscriptions: Subscriptions): Promise<void> {
    this.reactions = subscriptions.reactions;
    this.unlisten = await this.deps.listenForCommits?.(() => this.wake());
    await this.publishLeftovers();
    for (const { subscriber, types } of subscriptions.reactions) {
      let unsubscribes: (() => void)[] = [];
      const name = subscriber.name;
      this.owners.push(
        subscriptions.own(`subscriber:${name}`, 'lease', {
          acquired: async () => {
            // A fresh feed (and runner) for each time this process holds the reaction; it starts from the checkpoint.
            const feed = new SubscriptionFeed(subscriber, types, subscriptions.runner(name), this.deps, this.deps.feed);
            this.running.set(name, feed);
            // Every event: those of other types move its checkpoint past them.
            unsubscribes = [this.bus.subscribe('*', (e: StoredEvent) => feed.offer(e))];
            await feed.start();
          },
          lost: async () => {
            for (const unsubscribe of unsubscribes) unsubscribe();
            await this.running.get(name)?.stop();
            this.running.delete(name);
          },
        }),
      );
    }
    // Catch-up runs in the background so HTTP can serve meanwhile; idle() waits for it.
    await Promise.all(this.owners.map((o) => o.start()));
  }

  /** Events committed elsewhere (another process on the database): every feed reads on from the log. */
  wake(): void {
    for (const feed of this.running.values()) feed.wake();
  }

  afterCommit(events: readonly StoredEvent[], outboxIds: readonly number[]): void {
    for (const event of events) this.bus.publish(event);
    // One UPDATE (one more commit) per turn of the event loop, not per commit. Rows a crash leaves unmarked are
    // published again at start; the subscribers' records make that harmless.
    this.unmarked.push(...outboxIds);
    this.scheduleMark();
  }

  /**
   * Resolves once no reaction has events of its types after its recorded checkpoint, whichever process holds it,
   * and the feeds of this process are quiet. A handler may commit events that land in other feeds: checked again
   * until everything is quiet at once.
   */
  async idle(): Promise<void> {
    for (;;) {
      await Promise.all(this.feeds.map((f) => f.idle()));
      await this.marking;
      await new Promise((resolve) => setImmediate(resolve));
      if (this.feeds.every((f) => f.isIdle()) && !this.marking && !(await this.behind())) return;
      // Another process holds a reaction that is behind, or none holds it yet: look again shortly.
      if (this.feeds.every((f) => f.isIdle())) await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Whether a reaction has events of its types after its recorded checkpoint. */
  private async behind(): Promise<boolean> {
    const checkpoints = new Map((await this.deps.ledger.checkpoints()).map((c) => [c.subscriber, c.position]));
    for (const { subscriber, types } of this.reactions) {
      const after = checkpoints.get(subscriber.name) ?? 0;
      const counts = await this.deps.store.typeCountsAfter(after, LAG_SCAN);
      if (counts.some((row) => matchesAny(row.type, types))) return true;
    }
    return false;
  }

  ready(): boolean {
    return true;
  }

  /** Events of each reaction's types after what it has handled without a gap (the ones in hand included). */
  async lag(): Promise<SubscriberLag[]> {
    return Promise.all(
      this.feeds.map(async (feed) => {
        const counts = await this.deps.store.typeCountsAfter(feed.handledUpTo(), LAG_SCAN);
        const looked = counts.reduce((sum, row) => sum + row.count, 0);
        const events = counts.filter((row) => matchesAny(row.type, feed.types)).reduce((sum, row) => sum + row.count, 0);
        return { subscriber: feed.subscriber.name, events, capped: looked >= LAG_SCAN };
      }),
    );
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
    await Promise.all(this.owners.map((o) => o.stop()));
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
