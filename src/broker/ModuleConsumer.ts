// One module's queue as an actor: messages are handled one at a time, in queue order, by the module's
// projections and reactions, and acknowledged only after all of them recorded the event.
import type { Logger } from 'pino';
import { parseEvent } from '../events/catalog.js';
import type { EventEnvelope } from '../events/envelope.js';
import { matchesAny } from '../events/patterns.js';
import type { ProcessedSubscriber } from '../runtime/AsyncEventProcessor.js';
import type { ModuleHost } from '../runtime/ModuleHost.js';
import type { Projection } from '../runtime/module.js';
import type { Delivery } from './MessageBroker.js';
import type { ModuleQueue } from './topology.js';

interface Step {
  types: readonly string[];
  subscriber: ProcessedSubscriber;
}

export class ModuleConsumer {
  /** Deliveries rejected to the dead-letter queue since start (paybus_broker_failed_deliveries_total). */
  rejected = 0;
  /** Ids this process published towards this queue and has not handled yet: idle() waits for them. */
  readonly expected = new Set<string>();
  private readonly mailbox: Delivery[] = [];
  private readonly steps: Step[];
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    readonly queue: ModuleQueue,
    private readonly host: ModuleHost,
    private readonly log: Logger,
  ) {
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
    this.running ??= this.drain().finally(() => this.settle());
  }

  private settle(): void {
    this.running = undefined;
    // A message may have arrived between the end of the loop and this callback.
    if (this.mailbox.length > 0 && !this.stopped) this.running = this.drain().finally(() => this.settle());
  }

  isIdle(): boolean {
    return !this.running && this.mailbox.length === 0 && this.expected.size === 0;
  }

  /** Finishes the message in hand; those waiting in the mailbox go back to the queue with the channel. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.mailbox.length = 0;
    await this.running;
  }

  private async drain(): Promise<void> {
    while (this.mailbox.length > 0 && !this.stopped) {
      const delivery = this.mailbox.shift()!;
      if (!delivery.alive()) continue; // its channel is gone: the broker delivers it again
      try {
        await this.handle(delivery);
      } catch (error) {
        // Not a handler failure (the processor owns those) but the runtime's own, e.g. the database closing.
        this.log.error({ queue: this.queue.name, err: error instanceof Error ? error.message : String(error) }, 'message not handled; requeued');
        delivery.requeue();
      }
    }
  }

  private async handle(delivery: Delivery): Promise<void> {
    const event = this.parse(delivery);
    if (!event) {
      this.rejected++;
      return delivery.reject();
    }
    for (const step of this.steps) {
      if (!matchesAny(event.type, step.types)) continue;
      const outcome = await this.host.parts.processor.process(step.subscriber, event);
      if (outcome === 'aborted') {
        this.stopped = true; // shutting down: the next start handles it again, the inbox skips what was done
        return delivery.requeue();
      }
    }
    delivery.ack();
    this.expected.delete(event.id);
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
    handle: async (event) => host.commit(() => host.applyProjection(projection, event)),
    skip: () => {},
  };
}
