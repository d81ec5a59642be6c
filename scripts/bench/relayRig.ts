// The outbox relay on its own database and a unique exchange (with a sink queue), for relay.publish and growth.backlog.
import path from 'node:path';
import { MessageBroker } from '../../src/broker/MessageBroker.js';
import { OutboxRelay } from '../../src/broker/OutboxRelay.js';
import type { EventEnvelope } from '../../src/events/envelope.js';
import { runMigrations } from '../../src/storage/migrate.js';
import { SqliteStorage } from '../../src/storage/sqlite/SqliteStorage.js';
import { Outbox } from '../../src/store/Outbox.js';
import { storeMigrations } from '../../src/store/tables.js';
import { rawPublisher } from './baselines/rawAmqp.js';
import { fillOutbox, silentLog, waitFor } from './benchApp.js';
import { BENCH_RABBITMQ_URL, BenchBroker, uniqueName } from './rabbit.js';

/** The relay's default batch; the baseline publishes in batches of the same size. */
export const RELAY_BATCH = 500;

export async function openRelayRig(dir: string, name: string, { drainSink = false } = {}) {
  const exchange = uniqueName(name);
  const admin = await BenchBroker.open();
  const sink = await admin.sink(exchange);
  const reader = drainSink ? await admin.drain(sink) : undefined;
  // No checkpointer thread, as the rig always ran: SQLite checkpoints inside the relay's commits, as the baseline's does.
  const storage = new SqliteStorage(path.join(dir, `${name}.db`), { checkpointer: false });
  await runMigrations(storage, [{ owner: 'store', migrations: storeMigrations }]);
  const outbox = new Outbox(storage);
  const broker = new MessageBroker(
    { url: BENCH_RABBITMQ_URL, connectionName: `paybus bench ${name}` },
    { exchange, deadLetterExchange: `${exchange}.dlx`, queueType: 'classic', queues: [] },
    silentLog,
  );
  broker.start();
  await broker.firstAttempt;
  if (!broker.isConnected()) throw new Error('the relay could not connect to RabbitMQ');
  // The slow poll is pushed out of the way: each round wakes the relay itself, as a commit would.
  const relay = new OutboxRelay(outbox, broker, silentLog, { batchSize: RELAY_BATCH, pollMs: 3_600_000 });
  relay.start();
  const raw = await rawPublisher(exchange);

  return {
    /** Writes `events` as pending rows (not timed), then times the relay until all are confirmed and marked sent. */
    async relayRate(events: readonly EventEnvelope[]): Promise<number> {
      await fillOutbox(storage, outbox, events);
      const target = relay.relayedTotal + events.length;
      const start = performance.now();
      relay.wake();
      await waitFor(() => relay.relayedTotal >= target);
      const rate = events.length / ((performance.now() - start) / 1000);
      if (!reader) await admin.purge(sink);
      return rate;
    },
    /** The same bodies, the same batch size, straight through an amqplib confirm channel. */
    async rawRate(events: readonly EventEnvelope[]): Promise<number> {
      const bodies = events.map((e) => JSON.stringify(e));
      const rate = await raw.publishAll(events, bodies, RELAY_BATCH);
      await admin.purge(sink);
      return rate;
    },
    async close(): Promise<void> {
      await relay.stop(1000);
      await broker.close();
      await raw.close().catch(() => {});
      await reader?.close().catch(() => {});
      await storage.close();
      await admin.cleanup([exchange], [sink]);
    },
  };
}
