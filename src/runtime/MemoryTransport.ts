// Memory mode: committed events go through the EventBus to each reaction's mailbox in this process. Once a turn,
// the first attempts of every waiting mailbox run in one shared transaction (a group commit).
import type { EventBus } from '../bus/EventBus.js';
import type { StoredEvent } from '../events/envelope.js';
import type { ModuleHost, EventTransport } from './ModuleHost.js';
import { type Batch, SubscriberActor } from './SubscriberActor.js';

export class MemoryTransport implements EventTransport {
  readonly actors: SubscriberActor[] = [];
  private readonly unsubscribes: (() => void)[] = [];
  private host: ModuleHost | undefined;
  private started: Promise<unknown> = Promise.resolve();
  private unmarked: { first: number; last: number } | undefined;
  private markScheduled = false;
  private turnScheduled = false;

  constructor(private readonly bus: EventBus) {}

  async start(host: ModuleHost): Promise<void> {
    this.host = host;
    const { processor, store, ledger, outbox } = host.parts;
    for (const reaction of host.reactions) {
      const actor = new SubscriberActor(host.subscribers.get(reaction.name)!, reaction.types, processor, store, ledger, (fn) => host.commit(fn), () => this.scheduleTurn());
      this.actors.push(actor);
      for (const pattern of reaction.types) this.unsubscribes.push(this.bus.subscribe(pattern, (e: StoredEvent) => actor.enqueue(e)));
    }
    // Rows a crash left unpublished: bus listeners get them now; actors would find them in catch-up anyway.
    for (let rows = outbox.pending(500); rows.length > 0; rows = outbox.pending(500, rows[rows.length - 1]!.id)) {
      for (const row of rows) {
        const event = store.getById(row.eventId);
        if (event) this.bus.publish(event);
      }
      outbox.markPublishedRange(rows[0]!.id, rows[rows.length - 1]!.id);
    }
    // Catch-up runs in the background so HTTP can serve meanwhile; idle() waits for it.
    this.started = Promise.all(this.actors.map((a) => a.start()));
  }

  afterCommit(events: readonly StoredEvent[], outboxIds: readonly number[]): void {
    for (const event of events) this.bus.publish(event);
    if (outboxIds.length === 0) return;
    // One UPDATE (one more commit) per turn of the event loop, not per commit. Rows a crash leaves unmarked are
    // published again at start; the subscribers' records make that harmless.
    this.unmarked ??= { first: outboxIds[0]!, last: outboxIds[0]! };
    this.unmarked.last = outboxIds[outboxIds.length - 1]!;
    if (!this.markScheduled) {
      this.markScheduled = true;
      setImmediate(() => this.markPublished());
    }
  }

  private scheduleTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    setImmediate(() => this.turn());
  }

  /**
   * One transaction for the first attempts of every waiting mailbox, instead of one (or more) per subscriber and
   * event: under load, the reactions to one payment alone would otherwise commit some five times.
   */
  private turn(): void {
    this.turnScheduled = false;
    const host = this.host;
    if (!host) return;
    const taken = this.actors.filter((a) => a.waiting()).map((actor) => ({ actor, events: actor.take() }));
    if (taken.length === 0) return;
    const batches = new Map<SubscriberActor, Batch>();
    let committed = true;
    try {
      host.commit(() => {
        for (const { actor, events } of taken) batches.set(actor, actor.attempt(events));
      });
    } catch {
      committed = false; // not a handler (the processor owns those) but the transaction: each actor goes the slow way
    }
    for (const { actor, events } of taken) actor.finish(batches.get(actor) ?? { events, done: 0 }, committed);
  }

  private markPublished(): void {
    this.markScheduled = false;
    const range = this.unmarked;
    this.unmarked = undefined;
    if (range && this.host && this.host.parts.db.open) this.host.parts.outbox.markPublishedRange(range.first, range.last);
  }

  async idle(): Promise<void> {
    await this.started;
    // A handler may commit events that land in other mailboxes: wait until every actor is quiet at once.
    for (;;) {
      await Promise.all(this.actors.map((a) => a.idle()));
      await new Promise((resolve) => setImmediate(resolve));
      if (this.actors.every((a) => a.isIdle())) return;
    }
  }

  ready(): boolean {
    return true;
  }

  async stop(): Promise<void> {
    this.markPublished();
    for (const unsubscribe of this.unsubscribes) unsubscribe();
    await Promise.all(this.actors.map((a) => a.stop()));
  }
}
