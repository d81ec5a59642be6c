// One RabbitMQ connection: declares the topology, publishes with confirms, runs consumers, reconnects with backoff.
import { EventEmitter, once } from 'node:events';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type SocketOptions } from 'amqplib';
import pRetry, { AbortError } from 'p-retry';
import type { Logger } from 'pino';
import { redactUrl } from '../logger.js';
import { type Backoff, retryForever } from './backoff.js';
import { declareTopology, type Topology } from './topology.js';
import type { OutgoingMessage } from './wire.js';
import { errorMessage } from '../errors.js';

export interface BrokerSettings {
  url: string;
  user?: string;
  pass?: string;
  /** Shown in the management UI and `rabbitmqctl list_connections`. */
  connectionName: string;
  reconnect?: Backoff;
}

/** One message from a module queue, with the channel it must be settled on. */
export interface Delivery {
  readonly message: ConsumeMessage;
  /** False once its channel is gone: the broker will deliver it again, so it must not be handled now. */
  alive(): boolean;
  /** The channel it came on: deliveries with the same one may be acknowledged together. */
  readonly channel: object;
  ack(): void;
  /** Acknowledges it and every earlier delivery of its channel not settled yet (one frame for a batch). */
  ackThrough(): void;
  /** Rejects without requeue: the queue's dead-letter exchange takes it. */
  reject(): void;
  requeue(): void;
}

export class BrokerUnavailableError extends Error {
  override name = 'BrokerUnavailableError';
  constructor() {
    super('RabbitMQ is not connected');
  }
}

interface ConsumerSpec {
  queue: string;
  prefetch: number;
  onMessage(delivery: Delivery): void;
}

const noop = () => {};

export class MessageBroker extends EventEmitter {
  private readonly consumers: ConsumerSpec[] = [];
  private readonly abort = new AbortController();
  private connection: ChannelModel | undefined;
  private publisher: ConfirmChannel | undefined;
  private consumerChannels: { channel: Channel; consumerTag: string }[] = [];
  private admin: Promise<Channel> | undefined;
  private connecting: Promise<void> | undefined;
  private connected = false;
  private stopping = false;
  private attempted: () => void = noop;
  /** Settles after the first connection attempt, whatever its outcome: start() waits for it, not longer. */
  readonly firstAttempt = new Promise<void>((resolve) => (this.attempted = resolve));

  constructor(
    private readonly settings: BrokerSettings,
    private readonly topology: Topology,
    private readonly log: Logger,
  ) {
    super();
    this.on('error', noop); // an EventEmitter without an 'error' listener would crash the process
  }

  /** Registers a consumer; it starts (again) on every connection. Call before start(). */
  consume(queue: string, prefetch: number, onMessage: (delivery: Delivery) => void): void {
    this.consumers.push({ queue, prefetch, onMessage });
  }

  /** Starts connecting in the background: paybus serves HTTP and records events while the broker is away. */
  start(): void {
    this.reconnect();
  }

  isConnected(): boolean {
    return this.connected;
  }

  whenConnected(signal?: AbortSignal): Promise<void> {
    if (this.connected) return Promise.resolve();
    return once(this, 'connected', { signal }).then(noop);
  }

  /** Publishes in order, waiting for 'drain' under backpressure; resolves only once the broker confirmed all. */
  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    const channel = this.publisher;
    if (!channel || !this.connected) throw new BrokerUnavailableError();
    for (const m of messages) {
      if (!channel.publish(this.topology.exchange, m.routingKey, m.content, m.options)) await drained(channel);
    }
    await channel.waitForConfirms();
  }

  /** Messages ready in a queue (not counting those delivered and unacknowledged). */
  async readyCount(queue: string): Promise<number> {
    return (await this.queueStats(queue)).messageCount;
  }

  /** A passive declare: ready messages and consumers, without the management plugin. */
  async queueStats(queue: string): Promise<{ messageCount: number; consumerCount: number }> {
    const connection = this.connection;
    if (!connection || !this.connected) throw new BrokerUnavailableError();
    if (!this.admin) {
      const opening = connection.createChannel();
      this.admin = opening;
      const forget = () => {
        if (this.admin === opening) this.admin = undefined;
      };
      opening.then((ch) => (ch.on('error', noop), ch.on('close', forget)), forget);
    }
    const channel = await this.admin;
    const { messageCount, consumerCount } = await channel.checkQueue(queue);
    return { messageCount, consumerCount };
  }

  /** First half of a graceful stop: no new deliveries; those in flight can still be settled. */
  async cancelConsumers(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.consumerChannels.map(({ channel, consumerTag }) => channel.cancel(consumerTag).catch(noop)));
  }

  async close(): Promise<void> {
    this.stopping = true;
    this.abort.abort();
    await this.connecting?.catch(noop);
    const connection = this.connection;
    this.connected = false;
    if (!connection) return;
    for (const { channel } of this.consumerChannels) await channel.close().catch(noop);
    await this.publisher?.close().catch(noop);
    await connection.close().catch(noop);
    this.connection = undefined;
  }

  private reconnect(): void {
    if (this.stopping || this.connecting) return;
    this.connecting = pRetry(() => this.connectOnce().finally(this.attempted), {
      ...retryForever(this.settings.reconnect ?? { minMs: 200, maxMs: 3000 }, this.abort.signal),
      onFailedAttempt: ({ error, attemptNumber }) =>
        this.log.warn({ attempt: attemptNumber, url: redactUrl(this.settings.url), err: error.message }, 'RabbitMQ not usable (unreachable, or it refused the topology: see err); retrying'),
    })
      .catch((error: unknown) => {
        if (!this.stopping) this.log.error({ err: errorMessage(error) }, 'RabbitMQ connection given up');
      })
      .finally(() => {
        this.connecting = undefined;
      });
  }

  private async connectOnce(): Promise<void> {
    if (this.stopping) throw new AbortError('broker stopping');
    const connection = await amqp.connect(this.settings.url, this.socketOptions());
    connection.on('error', (err: Error) => this.log.warn({ err: err.message }, 'RabbitMQ connection error'));
    connection.on('close', () => this.onConnectionClosed(connection));
    connection.on('blocked', (reason: string) => this.log.warn({ reason }, 'RabbitMQ blocked publishing'));
    connection.on('unblocked', () => this.log.info('RabbitMQ unblocked publishing'));
    try {
      const setup = await connection.createChannel();
      setup.on('error', noop); // a failed declaration rejects below, and this attempt is retried
      await declareTopology(setup, this.topology);
      await setup.close();
      const publisher = await connection.createConfirmChannel();
      this.watch(connection, publisher);
      const consumers = [];
      for (const spec of this.consumers) consumers.push(await this.startConsumer(connection, spec));
      if (this.stopping) throw new AbortError('broker stopping');
      this.connection = connection;
      this.publisher = publisher;
      this.consumerChannels = consumers;
    } catch (error) {
      await connection.close().catch(noop);
      throw error;
    }
    this.connected = true;
    this.log.info({ url: redactUrl(this.settings.url), queues: this.consumers.map((c) => c.queue) }, 'RabbitMQ connected');
    this.emit('connected');
  }

  private async startConsumer(connection: ChannelModel, spec: ConsumerSpec): Promise<{ channel: Channel; consumerTag: string }> {
    const channel = await connection.createChannel();
    let open = true;
    channel.on('close', () => (open = false));
    this.watch(connection, channel);
    await channel.prefetch(spec.prefetch);
    const { consumerTag } = await channel.consume(
      spec.queue,
      (message) => {
        // null: the broker cancelled the consumer (queue deleted); a new connection re-declares and resumes.
        if (!message) return void (this.stopping || connection.close().catch(noop));
        spec.onMessage(this.delivery(channel, message, () => open));
      },
      { noAck: false },
    );
    return { channel, consumerTag };
  }

  private delivery(channel: Channel, message: ConsumeMessage, isOpen: () => boolean): Delivery {
    const settle = (fn: () => void) => {
      if (!isOpen()) return; // the broker requeued it when the channel closed
      try {
        fn();
      } catch (error) {
        this.log.warn({ err: errorMessage(error) }, 'could not settle a message; it will be redelivered');
      }
    };
    return {
      message,
      alive: isOpen,
      channel,
      ack: () => settle(() => channel.ack(message)),
      ackThrough: () => settle(() => channel.ack(message, true)),
      reject: () => settle(() => channel.nack(message, false, false)),
      requeue: () => settle(() => channel.nack(message, false, true)),
    };
  }

  /** A channel that dies on its own (a channel error) takes the connection with it: one recovery path. */
  private watch(connection: ChannelModel, channel: Channel): void {
    channel.on('error', (err: Error) => this.log.warn({ err: err.message }, 'RabbitMQ channel error'));
    channel.on('close', () => {
      if (!this.stopping) connection.close().catch(noop);
    });
  }

  private onConnectionClosed(connection: ChannelModel): void {
    if (connection !== this.connection) return; // an attempt still setting up: its own awaits fail
    this.connection = undefined;
    this.publisher = undefined;
    this.consumerChannels = [];
    this.admin = undefined;
    this.connected = false;
    if (this.stopping) return;
    this.log.warn('RabbitMQ connection lost; reconnecting');
    this.emit('disconnected');
    this.reconnect();
  }

  private socketOptions(): SocketOptions {
    const options: SocketOptions = { timeout: 10_000, clientProperties: { connection_name: this.settings.connectionName } };
    const { user, pass } = this.settings;
    if (user !== undefined || pass !== undefined) {
      const url = new URL(this.settings.url);
      options.credentials = amqp.credentials.plain(user ?? (decodeURIComponent(url.username) || 'guest'), pass ?? decodeURIComponent(url.password));
    }
    return options;
  }
}

function drained(channel: Channel): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      channel.off('drain', onDrain);
      channel.off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new Error('channel closed while waiting for drain'));
    channel.once('drain', onDrain);
    channel.once('close', onClose);
  });
}
