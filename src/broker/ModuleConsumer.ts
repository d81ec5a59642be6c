// One module's queue as an actor: messages are handled in queue order by the module's projections and reactions,
// many to a transaction while handlers finish synchronously, and acknowledged only after all of them recorded the event.
import type { Logger } from 'pino';
import { parseEvent } from '../events/catalog.js';
import type { EventEnvelope } from '../events/envelope.js';
import { matchesAny } from '../events/patterns.js';
import { attemptEnded, type FirstAttempt, type ProcessedSubscriber } from '../runtime/AsyncEventProcessor.js';
import type { ModuleHost } from '../runtime/ModuleHost.js';
import type { Projection } from '../runtime/module.js';
import type { Delivery } from './MessageBroker.js';
import type { ModuleQueue } from './topology.js';

interface Step {
  types: readonly string[];
  subscriber: ProcessedSubscriber;
}

/** One delivery on its way: the steps before `next` are done; `first` is an attempt of step `next` already made. */
interface Work {
  delivery: Delivery;
  event: EventEnvelope;
  next: number;
  first?: FirstAttempt;
  /** Set when the batch failed to commit: an attempt that went async in it ends before the message runs again. */
  previous?: Promise<void>;
  settled: boolean;
}

export class ModuleConsumer {
  /** Deliveries rejected to the dead-letter queue since start (paybus_broker_failed_deliveries_total). */
  rejected = 0;
  /** Ids this process published towards this queue and has not handled yet: idle() waits for them. */
  readonly expected = new Set<string>();
  private readonly mailbox: Delivery[] = [];
  private readonly steps: Step[];
  private running: Promise<void> | undefined;
  private scheduled = false;
  /**
   * Half the prefetch: while one half is handled in a transaction, the broker already sends the messages the
   * previous half's acks made room for. A batch of the whole window would leave the consumer idle for a round trip.
   */
  private readonly batchSize: number;
  private stopped = false;

  constructor(
    readonly queue: ModuleQueue,
    private readonly host: ModuleHost,
    private readonly log: Logger,
  ) {
    this.batchSize = Math.max(1, Math.ceil(host.parts.config.rabbitmq.prefetch / 2));
    const mod = host.modules.find((m) => m.name === queue.module)!;
    // Projections first, as inline: a reaction of the same module may read what its projection keeps.
    this.steps = [
      ...(mod.projections ?? []).map((p) => ({ types: p.types, subscriber: projectionSubscriber(host, p) })),
      ...(mod.reactions ?? []).map((r) => ({ types: r.types, subscriber: host.subscribers.get(r.name)! })),
    ];
  }

  /** The projections as processor subscribers: retried, then dead-lettered (and redrivable) like reactions. */
  projectionSubscribers(): ProcessedSubscriber[] {
    const reactions = new Set(this.host.reactions.map((r) => r.name));
    return this.steps.map((s) => s.subscriber).filter((s) => !reactions.has(s.name));
  }

  receive(delivery: Delivery): void {
    if (this.stopped) return; // left unacknowledged: the broker requeues it when the channel closes
    this.mailbox.push(delivery);
    // Deferred one turn, so the deliveries of one read from the socket are handled as one batch.
    if (!this.running && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        if (!this.running && !this.stopped) this.running = this.drain().finally(() => this.settle());
      });
    }
  }

  private settle(): void {
    this.running = undefined;
    // A message may have arrived between the end of the loop and this callback.
    if (this.mailbox.length > 0 && !this.stopped) this.running = this.drain().finally(() => this.settle());
  }

  isIdle(): boolean {
    return !this.running && !this.scheduled && this.mailbox.length === 0 && this.expected.size === 0;
  }

  /** Finishes the message in hand; those waiting in the mailbox go back to the queue with the channel. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.mailbox.length = 0;
    await this.running;
  }

  private async drain(): Promise<void> {
    while (this.mailbox.length > 0 && !this.stopped) {
      const batch = this.take();
      try {
        for (const work of this.runBatch(batch)) {
          if (this.stopped) return; // unacknowledged: back to the queue with the channel
          await this.finish(work);
        }
        // Lets the batch's acks reach the socket before the next batch, so the broker can refill the window.
        if (this.mailbox.length > 0) await new Promise((resolve) => setImmediate(resolve));
      } catch (error) {
        // Not a handler failure (the processor owns those) but the runtime's own, e.g. the database closing.
        this.log.error({ queue: this.queue.name, err: error instanceof Error ? error.message : String(error) }, 'messages not handled; requeued');
        // An attempt that went async ends before its message can come back: it must not run twice at once.
        for (const work of batch) await (work.previous ?? attemptEnded(work.first));
        for (const work of batch) if (!work.settled) work.delivery.requeue();
      }
    }
  }

  /** The mailbox's live deliveries, parsed; what is not an event goes to the dead-letter queue at once. */
  private take(): Work[] {
    const batch: Work[] = [];
    while (this.mailbox.length > 0 && batch.length < this.batchSize) {
      const delivery = this.mailbox.shift()!;
      if (!delivery.alive()) continue; // its channel is gone: the broker delivers it again
      const event = this.parse(delivery);
      if (event) batch.push({ delivery, event, next: 0, settled: false });
      else {
        this.rejected++;
        delivery.reject();
      }
    }
    return batch;
  }

  /**
   * Runs the batch's steps in one transaction (one commit for many messages) for as long as each finishes
   * synchronously on its first attempt. Acknowledges what is done once committed and
   * returns the rest, from the first step that threw, went async, or must wait its turn behind a dead-letter retry.
   */
  private runBatch(batch: Work[]): Work[] {
    const { processor } = this.host.parts;
    const handled: [ProcessedSubscriber, EventEnvelope][] = [];
    let done = batch.length;
    try {
      this.host.commit(() => {
        for (let i = 0; i < batch.length && done === batch.length; i++) {
          const work = batch[i]!;
          for (; work.next < this.steps.length; work.next++) {
            const { types, subscriber } = this.steps[work.next]!;
            if (!matchesAny(work.event.type, types)) continue;
            // A handler's commits join this transaction, each in its own savepoint (see ModuleHost.commit).
            const attempt = processor.attemptNow(subscriber, work.event);
            if (attempt !== 'handled') {
              if (attempt !== 'busy') work.first = attempt;
              done = i;
              break;
            }
            handled.push([subscriber, work.event]);
          }
        }
      });
    } catch (error) {
      // The transaction failed as a whole (an error that ends SQLite's transaction, the disk): nothing of it stands,
      // so every message of the batch goes the slow way, with retries and dead letters, none acknowledged yet.
      this.log.warn({ queue: this.queue.name, err: error instanceof Error ? error.message : String(error) }, 'batch not committed; handling its messages one at a time');
      for (const work of batch) {
        work.previous = attemptEnded(work.first);
        work.first = undefined;
        work.next = 0;
      }
      return batch;
    }
    for (const [subscriber, event] of handled) processor.handledOutside(subscriber, event);
    this.ackAll(batch.slice(0, done));
    return batch.slice(done);
  }

  /** The rest of one message's steps, one at a time through the processor (retries, dead letters). */
  private async finish(work: Work): Promise<void> {
    const { processor } = this.host.parts;
    await work.previous;
    for (; work.next < this.steps.length; work.next++) {
      const { types, subscriber } = this.steps[work.next]!;
      if (!matchesAny(work.event.type, types)) continue;
      const first = work.first;
      work.first = undefined;
      const outcome = await (first ? processor.resume(subscriber, work.event, first) : processor.process(subscriber, work.event));
      if (outcome === 'aborted') {
        this.stopped = true; // shutting down: the next start handles it again, the inbox skips what was done
        work.settled = true;
        return work.delivery.requeue();
      }
    }
    this.ack(work);
  }

  /**
   * Every earlier delivery of this consumer is settled before a batch is taken, so when a batch came on one channel
   * its last delivery acknowledges all of it in one frame.
   */
  private ackAll(works: Work[]): void {
    const last = works[works.length - 1];
    if (!last) return;
    if (works.some((w) => w.delivery.channel !== last.delivery.channel)) return works.forEach((w) => this.ack(w));
    last.delivery.ackThrough();
    for (const work of works) {
      work.settled = true;
      this.expected.delete(work.event.id);
    }
  }

  private ack(work: Work): void {
    work.settled = true;
    work.delivery.ack();
    this.expected.delete(work.event.id);
  }

  /** A message that is not an event can never succeed: it goes to the dead-letter queue, not back to the queue. */
  private parse(delivery: Delivery): EventEnvelope | undefined {
    const { content, properties } = delivery.message;
    try {
      return parseEvent(JSON.parse(content.toString('utf8')));
    } catch (error) {
      this.log.warn(
        { queue: this.queue.name, messageId: properties.messageId, err: error instanceof Error ? error.message : String(error) },
        'message is not a valid event; rejected to the dead-letter queue',
      );
      return undefined;
    }
  }
}

function projectionSubscriber(host: ModuleHost, projection: Projection): ProcessedSubscriber {
  return {
    name: projection.name,
    // The inbox makes this a no-op when the projection already ran inline in the publisher's transaction.
    handle: (event) => host.commit(() => host.applyProjection(projection, event)),
    skip: () => {},
  };
}
