// RabbitMQ for the broker cases: is it there, unique names per run, a sink queue, and cleanup afterwards.
import { randomBytes } from 'node:crypto';
import amqp, { type Channel, type ChannelModel, type Options } from 'amqplib';
import type { EventEnvelope } from '../../src/events/envelope.js';
import { type BenchCase, type BenchOptions, type BenchResult, skippedResult } from './harness.js';
import { errorMessage } from '../../src/errors.js';

/** The broker the bench uses: RABBITMQ_URL as paybus reads it, else the local one with guest/guest. */
export const BENCH_RABBITMQ_URL = process.env.RABBITMQ_URL || 'amqp://guest:guest@127.0.0.1:5672';

/** Undefined when RabbitMQ answers; otherwise the reason, printed in the row instead of a number. */
export async function brokerAbsence(): Promise<string | undefined> {
  try {
    const connection = await amqp.connect(BENCH_RABBITMQ_URL, { timeout: 3000 });
    await connection.close();
    return undefined;
  } catch (error) {
    return `RabbitMQ does not answer at ${BENCH_RABBITMQ_URL.replace(/\/\/[^@]*@/, '//')} (${errorMessage(error)})`;
  }
}

/** The properties CONTRACT.md puts on every message, read from the event itself. */
export function contractProperties(e: EventEnvelope): Options.Publish {
  return {
    contentType: 'application/json',
    messageId: e.id,
    type: e.type,
    timestamp: Math.floor(Date.parse(e.occurredAt) / 1000),
    correlationId: e.metadata.correlationId ?? undefined,
    persistent: true,
  };
}

/** A name no other run (test, helper, bench) uses: exchanges and queues are shared on this broker. */
export function uniqueName(what: string): string {
  return `paybus.bench.${what}.${randomBytes(4).toString('hex')}`;
}

/** A broker case: skipped (with the reason) when RabbitMQ does not answer, never given a made-up number. */
export function brokerCase(name: string, unit: string, target: string, run: (options: BenchOptions) => Promise<BenchResult>, fullOnly = false): BenchCase {
  return {
    name,
    fullOnly,
    async run(options) {
      const absent = await brokerAbsence();
      if (absent) {
        process.stderr.write(`  ${name} skipped: ${absent}\n`);
        return skippedResult(name, unit, target, absent);
      }
      try {
        return await run(options);
      } catch (error) {
        // The shared broker may be stopped mid-case (chaos tests do): the row says so rather than showing a number.
        const reason = `RabbitMQ failed during the case (${errorMessage(error)})`;
        process.stderr.write(`  ${name} skipped: ${reason}\n`);
        return skippedResult(name, unit, target, reason);
      }
    },
  };
}

/** One plain connection of the bench's own (declaring, purging, cleaning up). */
export class BenchBroker {
  private constructor(
    readonly connection: ChannelModel,
    readonly channel: Channel,
  ) {}

  static async open(): Promise<BenchBroker> {
    const connection = await amqp.connect(BENCH_RABBITMQ_URL);
    connection.on('error', () => {});
    const channel = await connection.createChannel();
    return new BenchBroker(connection, channel);
  }

  /** A durable queue bound to everything on `exchange`, so confirms mean "stored", as in a real deployment. */
  async sink(exchange: string): Promise<string> {
    const queue = `${exchange}.sink`;
    await this.channel.assertExchange(exchange, 'topic', { durable: true });
    await this.channel.assertQueue(queue, { durable: true });
    await this.channel.bindQueue(queue, exchange, '#');
    return queue;
  }

  /** Reads and acknowledges everything that reaches `queue`, on a connection of its own, until closed. */
  async drain(queue: string): Promise<ChannelModel> {
    const connection = await amqp.connect(BENCH_RABBITMQ_URL);
    connection.on('error', () => {});
    const ch = await connection.createChannel();
    await ch.prefetch(1000);
    await ch.consume(queue, (m) => m && ch.ack(m));
    return connection;
  }

  /** Puts `events` on `queue` in the wire format, confirmed, before a consume case starts its clock. */
  async preload(queue: string, events: readonly EventEnvelope[]): Promise<void> {
    const ch = await this.connection.createConfirmChannel();
    for (let i = 0; i < events.length; i += 500) {
      for (const e of events.slice(i, i + 500)) {
        if (!ch.sendToQueue(queue, Buffer.from(JSON.stringify(e), 'utf8'), contractProperties(e))) await new Promise((r) => ch.once('drain', r));
      }
      await ch.waitForConfirms();
    }
    await ch.close();
  }

  async purge(queue: string): Promise<void> {
    await this.channel.purgeQueue(queue);
  }

  /** Deletes what a case declared; each on its own channel so one already gone does not close the others. */
  async cleanup(exchanges: readonly string[], queues: readonly string[]): Promise<void> {
    const tolerant = async (op: (ch: Channel) => Promise<unknown>) => {
      const ch = await this.connection.createChannel();
      ch.on('error', () => {});
      await op(ch).then(() => ch.close(), () => {});
    };
    for (const q of queues) await tolerant((ch) => ch.deleteQueue(q));
    for (const x of exchanges) await tolerant((ch) => ch.deleteExchange(x));
    await this.connection.close().catch(() => {});
  }
}
