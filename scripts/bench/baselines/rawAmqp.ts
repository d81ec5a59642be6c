// Baselines: amqplib alone — a confirm channel publishing the relay's bodies, and a consumer that only acks.
import amqp from 'amqplib';
import type { EventEnvelope } from '../../../src/events/envelope.js';
import { BENCH_RABBITMQ_URL, contractProperties } from '../rabbit.js';

export async function rawPublisher(exchange: string) {
  const connection = await amqp.connect(BENCH_RABBITMQ_URL);
  connection.on('error', () => {}); // a broker going away rejects the publish in hand; the case reports it
  const channel = await connection.createConfirmChannel();
  return {
    /** Publishes already-serialised bodies in batches of `batch`, waiting for confirms after each; returns msgs/s. */
    async publishAll(events: readonly EventEnvelope[], bodies: readonly string[], batch: number): Promise<number> {
      const start = performance.now();
      for (let i = 0; i < events.length; i += batch) {
        for (let j = i; j < Math.min(i + batch, events.length); j++) {
          const e = events[j]!;
          if (!channel.publish(exchange, e.type, Buffer.from(bodies[j]!, 'utf8'), contractProperties(e))) await new Promise((r) => channel.once('drain', r));
        }
        await channel.waitForConfirms();
      }
      return events.length / ((performance.now() - start) / 1000);
    },
    close: () => connection.close(),
  };
}

/** Connects, consumes `count` messages with `prefetch`, acks each, disconnects; returns msgs/s from the connect. */
export async function rawConsume(queue: string, prefetch: number, count: number): Promise<number> {
  const start = performance.now();
  const connection = await amqp.connect(BENCH_RABBITMQ_URL);
  connection.on('error', () => {});
  const channel = await connection.createChannel();
  await channel.prefetch(prefetch);
  let seen = 0;
  await new Promise<void>((resolve) => {
    void channel.consume(queue, (m) => {
      if (!m) return;
      channel.ack(m);
      if (++seen === count) resolve();
    });
  });
  const rate = count / ((performance.now() - start) / 1000);
  await connection.close();
  return rate;
}
