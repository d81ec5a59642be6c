// relay.failover: broker mode on PostgreSQL, two processes each able to run the outbox relay (one leads, by a session
// advisory lock). While events are being committed, the leader is SIGKILLed: how long until the standby publishes,
// counted from the kill to the first message it publishes reaching a queue bound to the exchange; and is any
// committed event missing from that queue at the end?
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import amqp from 'amqplib';
import { loadConfig } from '../../../src/config.js';
import { PostgresStorage } from '../../../src/storage/postgres/PostgresStorage.js';
import { EventStore } from '../../../src/store/EventStore.js';
import { Outbox } from '../../../src/store/Outbox.js';
import { waitFor } from '../benchApp.js';
import { billEvents } from '../events.js';
import { type BenchResult, median, skippedResult } from '../harness.js';
import { benchSchemas, postgresCase, urlWithSchema } from '../postgres.js';
import { BENCH_RABBITMQ_URL, BenchBroker, brokerAbsence, uniqueName } from '../rabbit.js';

const RELAY_SERVER = path.resolve(import.meta.dirname, '../servers/relayServer.ts');
/** Events committed before each kill, at the writer's pace, so the leader is busy when it dies. */
const WRITE_BEFORE_KILL_MS = 2_000;
const TARGET = 'none lost';
const epochNow = () => performance.timeOrigin + performance.now();

/** A relay process: when it said it was up, and when it took the relay (epoch ms). */
interface Relay {
  proc: ChildProcess;
  ready: Promise<void>;
  leaderAt?: number;
}

function startRelay(dir: string, n: number, url: string, exchange: string): Relay {
  const proc = spawn(process.execPath, ['--import', 'tsx', RELAY_SERVER, dir, `failover-${n}`, url, exchange], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const relay: Relay = { proc, ready: Promise.resolve() };
  relay.ready = new Promise((resolve, reject) => {
    proc.on('message', (m: { ready?: true; leader?: number }) => {
      if (m.leader) relay.leaderAt = m.leader;
      if (m.ready) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`relay process exited with ${code} before it was up`)));
  });
  return relay;
}

async function stopRelay(relay: Relay): Promise<void> {
  if (relay.proc.exitCode !== null || relay.proc.signalCode !== null) return;
  const exited = once(relay.proc, 'exit');
  relay.proc.send('stop');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  if (relay.proc.exitCode === null && relay.proc.signalCode === null) relay.proc.kill('SIGKILL');
}

/** Commits one event a transaction, one after another with a breath between, until stopped; remembers each id. */
function startWriter(url: string) {
  const committed: string[] = [];
  let stopped = false;
  const done = (async () => {
    const storage = await PostgresStorage.open({ url });
    const store = new EventStore(storage);
    const outbox = new Outbox(storage);
    try {
      while (!stopped) {
        const [event] = billEvents(1);
        await storage.transaction(async (tx) => outbox.add(tx, await store.append(tx, [event!])));
        committed.push(event!.id);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    } finally {
      await storage.close();
    }
  })();
  return { committed, stop: () => ((stopped = true), done) };
}

/** The bound queue's consumer, in the bench process: each delivery's id and arrival time. */
async function consume(queue: string) {
  const arrivals: { id: string; at: number }[] = [];
  const ids = new Set<string>();
  const connection = await amqp.connect(BENCH_RABBITMQ_URL);
  connection.on('error', () => {});
  const channel = await connection.createChannel();
  await channel.prefetch(1000);
  await channel.consume(queue, (m) => {
    if (!m) return;
    arrivals.push({ id: m.properties.messageId as string, at: epochNow() });
    ids.add(m.properties.messageId as string);
    channel.ack(m);
  });
  return { arrivals, ids, close: () => connection.close().catch(() => {}) };
}

export const relayFailover = postgresCase('relay.failover', 'ms', TARGET, async ({ quick, dir }): Promise<BenchResult> => {
  const absent = await brokerAbsence();
  if (absent) return skippedResult('relay.failover', 'ms', TARGET, absent);
  const rounds = quick ? 1 : 3;
  const schemas = await benchSchemas('failover', ['paybus']);
  const url = urlWithSchema(schemas.names[0]!);
  const exchange = uniqueName('failover');
  const admin = await BenchBroker.open();
  const sink = await admin.sink(exchange);
  const consumer = await consume(sink);
  const relays: Relay[] = [];
  let writer: ReturnType<typeof startWriter> | undefined;
  try {
    // The first one up runs the migrations and takes the relay; the second stands by.
    let next = 0;
    const add = async () => {
      const relay = startRelay(dir, ++next, url, exchange);
      relays.push(relay);
      await relay.ready;
      return relay;
    };
    await add();
    await add();
    writer = startWriter(url);
    const tookMs: number[] = [];
    for (let round = 0; round < rounds; round++) {
      await new Promise((resolve) => setTimeout(resolve, WRITE_BEFORE_KILL_MS));
      const live = relays.filter((r) => r.proc.exitCode === null && r.proc.signalCode === null);
      const leader = live.find((r) => r.leaderAt !== undefined);
      if (!leader) throw new Error('no relay process leads');
      const killedAt = epochNow();
      leader.proc.kill('SIGKILL');
      const standby = live.find((r) => r !== leader)!;
      await waitFor(() => (standby.leaderAt ?? 0) > killedAt, 60_000, 'the standby to take the relay');
      // Its first publication: the first delivery after it took the relay (what the dead one had sent arrived before).
      const first = () => consumer.arrivals.find((a) => a.at >= standby.leaderAt!);
      await waitFor(() => first() !== undefined, 60_000, 'the new leader to publish');
      tookMs.push(first()!.at - killedAt);
      await add(); // a new standby, as an orchestrator would restart the dead one
    }
    const committed = writer.committed;
    await writer.stop();
    // Not a failure of the case: what has not arrived 30 s after the last commit is reported as lost.
    await waitFor(() => committed.every((id) => consumer.ids.has(id)), 30_000, 'every committed event to arrive').catch(() => {});
    const lost = committed.filter((id) => !consumer.ids.has(id)).length;
    const duplicates = consumer.arrivals.length - consumer.ids.size;
    const ttl = loadConfig({}).leaseTtlMs;
    const notes =
      `${rounds} kill(s) of the leading relay process while one process committed events (${committed.length} in all), each followed by a new standby; ` +
      `kill → first message from the new leader: ${tookMs.map((ms) => ms.toFixed(0)).join(', ')} ms; LEASE_TTL_MS ${ttl} (a standby tries for the lock every ${Math.min(1000, ttl / 5)} ms); ` +
      `lost ${lost}; delivered twice ${duplicates} (at least once: rows the dead leader sent but had not marked)`;
    return { name: 'relay.failover', unit: 'ms', ours: median(tookMs), baseline: null, ratio: null, target: TARGET, pass: lost === 0, notes };
  } finally {
    await writer?.stop();
    await Promise.all(relays.map(stopRelay));
    await consumer.close();
    await admin.cleanup([exchange], [sink]);
    await schemas.drop();
  }
});
