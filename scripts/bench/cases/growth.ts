// growth.append, growth.read.p99_ms, growth.backlog: does paybus slow down as the log and the outbox grow? Full run only.
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import path from 'node:path';
import { runMigrations } from '../../../src/storage/migrate.js';
import { SqliteStorage } from '../../../src/storage/sqlite/SqliteStorage.js';
import { EventStore } from '../../../src/store/EventStore.js';
import { storeMigrations } from '../../../src/store/tables.js';
import { billEvents } from '../events.js';
import { type BenchCase, interleave, maxResult, percentile, rate, ratioResult } from '../harness.js';
import { brokerCase } from '../rabbit.js';
import { openRelayRig } from '../relayRig.js';

const STORED = 1_000_000;
const STREAM = 10;

interface BigStore {
  storage: SqliteStorage;
  store: EventStore;
  aggregateIds: string[];
}

let built: { dir: string; big: BigStore } | undefined;

/**
 * 100,000 aggregates of 10 events each, valid rows written with raw batched inserts (setup, not timed). Versions are
 * written in passes (every aggregate's v1, then every v2, …) so one stream's rows lie far apart, as in a long-lived
 * store. Built once per run and shared by the growth cases.
 */
async function bigStore(dir: string): Promise<BigStore> {
  if (built?.dir === dir) return built.big;
  const started = performance.now();
  const file = path.join(dir, 'growth-big.db');
  // The tables as paybus creates them; then the rows through a throwaway connection without a journal and with a
  // large cache; then the file reopened as paybus opens it (WAL, checkpoints in a worker thread).
  const schema = new SqliteStorage(file, { checkpointer: false });
  await runMigrations(schema, [{ owner: 'store', migrations: storeMigrations }]);
  await schema.close();
  const db = new Database(file);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -1000000');
  const aggregateIds = Array.from({ length: STORED / STREAM }, () => randomUUID());
  const userId = randomUUID();
  const insert = db.prepare(
    `INSERT INTO events (id, type, aggregate_type, aggregate_id, version, occurred_at, payload, metadata, recorded_at)
     VALUES (?, 'bill.created', 'bill', ?, ?, ?, ?, ?, ?)`,
  );
  const at = new Date().toISOString();
  const insertPass = db.transaction((version: number, from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const billId = aggregateIds[i]!;
      const payload = `{"billId":"${billId}","userId":"${userId}","amount":${100 + version},"currency":"EUR","dueDate":"2030-01-31","description":null}`;
      insert.run(randomUUID(), billId, version, at, payload, `{"correlationId":"${billId}","causationId":null}`, at);
    }
  });
  for (let version = 1; version <= STREAM; version++) {
    for (let from = 0; from < aggregateIds.length; from += 20_000) insertPass(version, from, Math.min(from + 20_000, aggregateIds.length));
  }
  db.close();
  const storage = new SqliteStorage(file);
  process.stderr.write(`  built a store of ${STORED.toLocaleString('en-US')} events in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  const big = { storage, store: new EventStore(storage), aggregateIds };
  built = { dir, big };
  return big;
}

export const growthAppend: BenchCase = {
  name: 'growth.append',
  fullOnly: true,
  async run({ dir }) {
    const big = await bigStore(dir);
    // Both stores as createApp opens them: WAL checkpoints in a worker thread, not inside a commit.
    const freshStorage = new SqliteStorage(path.join(dir, 'growth-fresh.db'));
    await runMigrations(freshStorage, [{ owner: 'store', migrations: storeMigrations }]);
    const fresh = new EventStore(freshStorage);
    const perRound = 5_000;
    const rounds = 4;
    // One event per transaction, each a new stream: the per-event lookups and index inserts are what could grow.
    const bigEvents = billEvents(perRound * rounds);
    const freshEvents = billEvents(perRound * rounds);
    let a = 0;
    let b = 0;
    const r = await interleave(
      rounds,
      () => rate(perRound, () => big.storage.transaction((tx) => big.store.append(tx, [bigEvents[a++]!]))),
      () => rate(perRound, () => freshStorage.transaction((tx) => fresh.append(tx, [freshEvents[b++]!]))),
    );
    await freshStorage.close();
    return ratioResult('growth.append', 'events/s', r.ours, r.baseline, 0.9, `paybus with ${STORED.toLocaleString('en-US')} events stored vs a fresh store; 1 event per transaction`);
  },
};

export const growthRead: BenchCase = {
  name: 'growth.read.p99_ms',
  fullOnly: true,
  async run({ dir }) {
    const big = await bigStore(dir);
    const samples: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const id = big.aggregateIds[Math.floor(Math.random() * big.aggregateIds.length)]!;
      const start = performance.now();
      const events = await big.store.getEvents(id);
      samples.push(performance.now() - start);
      if (events.length < STREAM) throw new Error(`stream ${id} has ${events.length} events, expected ${STREAM}`);
    }
    // The last growth case on the big store (growth.backlog uses its own): close it before the folder goes.
    await big.storage.close();
    built = undefined;
    const measured = samples.slice(1_000); // the first reads warm SQLite's page cache
    const notes = `getEvents of a random ${STREAM}-event stream among ${STORED.toLocaleString('en-US')} events; p50 ${percentile(measured, 50).toFixed(3)} ms, n ${measured.length}`;
    return maxResult('growth.read.p99_ms', 'ms', percentile(measured, 99), 1, notes);
  },
};

export const growthBacklog = brokerCase(
  'growth.backlog',
  'msgs/s',
  'ratio >= 0.9',
  async ({ dir }) => {
    // A consumer empties the sink meanwhile, as in a deployment: a queue nobody reads slows RabbitMQ itself down
    // as it grows (plain amqplib publishing drops to about 0.7 of its rate at 100,000 waiting messages).
    const rig = await openRelayRig(dir, 'backlog', { drainSink: true });
    try {
      const r = await interleave(2, () => rig.relayRate(billEvents(100_000)), () => rig.relayRate(billEvents(10_000)));
      return ratioResult('growth.backlog', 'msgs/s', r.ours, r.baseline, 0.9, 'relay drain rate, 100,000 pending rows vs 10,000 (both paybus); rows already sent stay in the table; the sink queue is consumed');
    } finally {
      await rig.close();
    }
  },
  true,
);
