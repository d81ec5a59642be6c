// The outside consumer of latency.broker.p99_ms, in its own process as a real one would be: it consumes the sink
// queue given as its argument and notes when each message arrived (epoch milliseconds, sub-millisecond precision).
import amqp from 'amqplib';
import { BENCH_RABBITMQ_URL } from '../rabbit.js';

const queue = process.argv[2]!;
const arrivedAt: Record<string, number> = {};
const connection = await amqp.connect(BENCH_RABBITMQ_URL);
connection.on('error', () => {});
const channel = await connection.createChannel();
await channel.consume(queue, (m) => {
  if (!m) return;
  arrivedAt[m.properties.messageId as string] = performance.timeOrigin + performance.now();
  channel.ack(m);
});
process.on('message', (message) => {
  if (message === 'count') process.send!({ count: Object.keys(arrivedAt).length });
  if (message === 'report') process.send!({ arrivedAt });
  if (message === 'stop') void connection.close().finally(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
