// One module's queue: each message becomes a work for the module's runner (projections, then reactions) and is
// acknowledged once all of them recorded the event, many acknowledgements to a frame.
import type { Logger } from 'pino';
import { parseEvent } from '../events/catalog.js';
import type { EventEnvelope } from '../events/envelope.js';
import { matchesAny } from '../events/patterns.js';
import type { BatchRunner } from '../runtime/BatchRunner.js';
import type { Step } from '../runtime/EventTransport.js';
import { Watermark } from '../runtime/Watermark.js';
import type { Delivery } from './MessageBroker.js';
import type { ModuleQueue } from './topology.js';
import { errorMessage } from '../errors.js';

export class ModuleConsumer {
  /** Deliveries rejected to the dead-letter queue since start (paybus_broker_failed_deliveries_total). */
  rejected = 0;
  /** Ids this process published towards this queue and has not handled yet: idle() waits for them. */
  readonly expected = new Set<string>();
  /** Per channel, the deliveries in the order they came: acknowledged up to the first one still in hand. */
  private readonly unacked = new Map<object, Watermark<Delivery>>();
  private readonly toAck = new Map<object, Delivery>();
  private ackScheduled = false;
  private stopped = false;

  constructor(
    readonly queue: ModuleQueue,
    private readonly steps: readonly Step[],
    private readonly runner: BatchRunner,
    private readonly log: Logger,
  ) {}

  receive(delivery: Delivery): void {
    if (this.stopped) return; // left unacknowledged: the broker requeues it when the channel closes
    const event = this.parse(delivery);
    if (!event) {
      this.rejected++;
      return delivery.reject();
    }
    let pending = this.unacked.get(delivery.channel);
    if (!pending) this.unacked.set(delivery.channel, (pending = new Watermark()));
    pending.add(delivery);
    // One work per subscriber that takes the event: each runs in the order of its own key (a projection and a
    // reaction of one key keep the order they came in). The message is acknowledged once all of them are done.
    const subscribers = this.steps.filter((s) => matchesAny(event.type, s.types)).map((s) => s.subscriber);
    let left = subscribers.length;
    let requeued = false;
    const done = () => {
      if (--left > 0 || requeued) return;
      this.expected.delete(event.id);
      this.settle(delivery);
    };
    const abandoned = () => {
      if (requeued) return;
      // Back to the queue now, unless the channel is gone (then the broker has it already); the inbox skips the
      // subscribers that were done.
      requeued = true;
      if (!this.stopped) delivery.requeue();
      this.settle(delivery, false);
    };
    if (left === 0) return done();
    for (const subscriber of subscribers) this.runner.push({ event, subscriber, done, abandoned });
  }

  /** The subscribers this queue feeds. */
  subscriberNames(): string[] {
    return this.steps.map((s) => s.subscriber.name);
  }

  /** Works taken from the queue and not finished yet. */
  inHand(): number {
    return this.runner.size;
  }

  isIdle(): boolean {
    return this.runner.size === 0 && this.expected.size === 0 && !this.ackScheduled;
  }

  /** Finishes the messages in hand; those waiting go back to the queue with the channel. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.runner.stop();
    this.flushAcks();
  }

  /**
   * `ack`: this delivery is done; otherwise it was settled already (requeued) and must only stop holding back the
   * ones after it. Acknowledging "all up to" the last of a gap-free run never covers one still in hand.
   */
  private settle(delivery: Delivery, ack = true): void {
    const pending = this.unacked.get(delivery.channel);
    if (!pending) return;
    const settled = pending.finish(delivery).filter((d) => ack || d !== delivery);
    if (pending.size === 0) this.unacked.delete(delivery.channel);
    const last = settled[settled.length - 1];
    if (!last || !last.alive()) return;
    this.toAck.set(delivery.channel, last);
    if (!this.ackScheduled) {
      this.ackScheduled = true;
      setImmediate(() => this.flushAcks());
    }
  }

  /** One frame per channel: the last delivery done without a gap, with every earlier one. */
  private flushAcks(): void {
    this.ackScheduled = false;
    for (const delivery of this.toAck.values()) if (delivery.alive()) delivery.ackThrough();
    this.toAck.clear();
  }

  /** A message that is not an event can never succeed: it goes to the dead-letter queue, not back to the queue. */
  private parse(delivery: Delivery): EventEnvelope | undefined {
    const { content, properties } = delivery.message;
    try {
      return parseEvent(JSON.parse(content.toString('utf8')));
    } catch (error) {
      this.log.warn(
        { queue: this.queue.name, messageId: properties.messageId, err: errorMessage(error) },
        'message is not a valid event; rejected to the dead-letter queue',
      );
      return undefined;
    }
  }
}
