// Broker mode (EVENT_TRANSPORT=rabbitmq): the outbox relay publishes committed events to the exchange, and each
// module of this process consumes its own queue, whichever process published them.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { StoredEvent } from '../events/envelope.js';
import { matchesAny } from '../events/patterns.js';
import type { EventTransport, SubscriberLag, Subscriptions } from '../runtime/EventTransport.js';
import type { Ownership } from '../runtime/Ownership.js';
import type { Outbox } from '../store/Outbox.js';
import { MessageBroker } from './MessageBroker.js';
import { ModuleConsumer } from './ModuleConsumer.js';
import { OutboxRelay } from './OutboxRelay.js';
import { buildTopology } from './topology.js';
import type { TransportStats } from '../ops/transportStats.js';

export interface BrokerTransportOptions {
  reconnect?: { minMs: number; maxMs: number };
  relayPollMs?: number;
  /** Hears of commits in other processes on the database (PostgreSQL): the relay leader publishes them at once. */
  listenForCommits?(fn: () => void): Promise<() => Promise<void>>;
}

export class BrokerTransport implements EventTransport {
  readonly consumers: ModuleConsumer[] = [];
  /** Connections made so far (1 + reconnections): for metrics and tests. */
  connections = 0;
  private broker: MessageBroker | undefined;
  private relay: OutboxRelay | undefined;
  private relayOwner: Ownership | undefined;
  /** Rows the relays of earlier leaderships of this process published. */
  private relayedBefore = 0;
  private unlisten: (() => Promise<void>) | undefined;
  private stopping = false;

  constructor(
    private readonly config: Config,
    private readonly outbox: Outbox,
    private readonly log: Logger,
    private readonly options: BrokerTransportOptions = {},
  ) {}

  async start(subscriptions: Subscriptions): Promise<void> {
    const settings = this.config.rabbitmq;
    const modules = subscriptions.modules.map((m) => m.module);
    const topology = buildTopology(settings, modules);
    const log = this.log.child({ component: 'broker' });
    const broker = new MessageBroker(
      { url: settings.url, user: settings.user, pass: settings.pass, connectionName: `paybus ${modules.map((m) => m.name).join(',')}`, reconnect: this.options.reconnect },
      topology,
      log,
    );
    // Half the prefetch a batch: while one half is handled, the broker already sends what the other half's acks
    // made room for. A batch of the whole window would leave the consumer idle for a round trip.
    const batchSize = Math.max(1, Math.ceil(settings.prefetch / 2));
    for (const queue of topology.queues) {
      const { steps } = subscriptions.modules.find((m) => m.module.name === queue.module)!;
      const consumer = new ModuleConsumer(queue, steps, subscriptions.runner(queue.name, { batchSize }), log);
      this.consumers.push(consumer);
      broker.consume(queue.name, settings.prefetch, (delivery) => consumer.receive(delivery));
    }
    broker.on('connected', () => this.connections++);
    this.broker = broker;
    broker.start();
    // One relay among all processes on the database: the one holding the relay lock publishes every process's
    // outbox rows, in order; the others stand by and take over as soon as its holder is gone.
    this.relayOwner = subscriptions.own('outbox-relay', 'lock', {
      acquired: () => {
        this.relay = new OutboxRelay(this.outbox, broker, log, {
          pollMs: this.options.relayPollMs,
          beforePublish: (row) => {
            for (const c of this.consumers) if (matchesAny(row.eventType, c.queue.patterns)) c.expected.add(row.eventId);
          },
        });
        this.relay.start();
      },
      lost: async () => {
        await this.relay?.stop();
        this.relayedBefore += this.relay?.relayedTotal ?? 0;
        this.relay = undefined;
      },
    });
    this.unlisten = await this.options.listenForCommits?.(() => this.relay?.wake());
    await this.relayOwner.start();
    await broker.firstAttempt;
    if (!broker.isConnected()) log.warn('RabbitMQ not reachable yet: serving anyway; events wait in the outbox until it is');
  }

  afterCommit(_events: readonly StoredEvent[], _outboxIds: readonly number[]): void {
    this.relay?.wake();
  }

  /**
   * Resolves when the outbox is empty, every event this process published to its own queues has been
   * handled, nothing is in hand, and the queues have nothing ready (events from other processes) — twice
   * in a row, so a message on its way between two checks is not missed.
   */
  async idle(): Promise<void> {
    for (let quiet = 0; quiet < 2; ) {
      await this.broker?.whenConnected();
      quiet = (await this.isQuiet()) ? quiet + 1 : 0;
      await sleep(quiet > 0 ? 25 : 10);
    }
  }

  /** What the metrics and the dashboard read about the broker (see src/ops/transportStats.ts). */
  stats(): TransportStats {
    return {
      kind: 'rabbitmq',
      connected: this.broker?.isConnected() ?? false,
      relayedTotal: this.relayedBefore + (this.relay?.relayedTotal ?? 0),
      failedDeliveries: this.consumers.reduce((n, c) => n + c.rejected, 0),
      queues: async () => {
        const broker = this.broker;
        if (!broker) return [];
        return Promise.all(
          this.consumers.map(async (c) => {
            const { messageCount, consumerCount } = await broker.queueStats(c.queue.name);
            return { queue: c.queue.name, messages: messageCount, consumers: consumerCount };
          }),
        );
      },
    };
  }

  ready(): boolean {
    return !this.stopping && (this.broker?.isConnected() ?? false);
  }

  /**
   * Each subscriber's module queue: the messages ready in it (read from the broker) and those in hand here. One
   * queue feeds all the module's subscribers, so each of them shows the queue's figure.
   */
  async lag(): Promise<SubscriberLag[]> {
    const broker = this.broker;
    if (!broker?.isConnected()) return [];
    const rows = await Promise.all(
      this.consumers.map(async (c) => {
        const { messageCount } = await broker.queueStats(c.queue.name);
        return c.subscriberNames().map((subscriber) => ({ subscriber, events: messageCount + c.inHand(), capped: false }));
      }),
    );
    return rows.flat();
  }

  /** Cancels consumers, finishes the messages in hand, flushes the relay, closes channels and the connection. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.broker?.cancelConsumers();
    await Promise.all(this.consumers.map((c) => c.stop()));
    await this.unlisten?.();
    await this.relayOwner?.stop();
    await this.broker?.close();
  }

  private async isQuiet(): Promise<boolean> {
    // Not the relay's holder: the outbox is empty when the holder (another process) has published everything.
    const relayIdle = async () => (this.relay ? this.relay.isIdle() : (await this.outbox.status()).pending === 0);
    const local = async () => (await relayIdle()) && this.consumers.every((c) => c.isIdle());
    if (!(await local())) return false;
    try {
      for (const c of this.consumers) if ((await this.broker!.readyCount(c.queue.name)) > 0) return false;
    } catch {
      return false; // disconnected meanwhile: look again once it is back
    }
    return local();
  }
}
