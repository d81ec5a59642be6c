// growth.append, growth.read.p99_ms, growth.backlog: does paybus slow down as the log and the outbox grow? Full run only.
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import path from 'node:path';
import { runMigrations } from '../../../src/db/migrate.js';
import { WalCheckpointer } from '../../../src/db/WalCheckpointer.js';
import { type Db, openDatabase } from '../../../src/db/openDatabase.js';
import { EventStore } from '../../../src/store/EventStore.js';
import { storeMigrations } from '../../../src/store/tables.js';
import { billEvents } from '../events.js';
import { type BenchCase, interleave, maxResult, percentile, rate, ratioResult } from '../harness.js';
import { brokerCase } from '../rabbit.js';
import { openRelayRig } from '../relayRig.js';

const STORED = 1_000_000;
const STREAM = 10;

interface BigStore {
  db: Db;
  store: EventStore;
  aggregateIds: string[];
}

let built: { dir: string; big: BigStore } | undefined;

/**
 * 100,000 aggregates of 10 events each, valid rows written with raw batched inserts (setup, not timed). Versions are
 * written in passes (every aggregate's v1, then every v2, …) so one stream's rows lie far apart, as in a long-lived
 * store. Built once per run and shared by the growth cases.
 */
function bigStore(dir: string): BigStore {
  if (built?.dir === dir) return built.big;
  const started = performance.now();
  const file = path.join(dir, 'growth-big.db');
  // A throwaway file: built without a journal and with a large cache, then reopened as paybus opens it.
  const db = new Database(file);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -1000000');
  runMigrations(db, 'store', storeMigrations);
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
  const opened = openDatabase(file);
  process.stderr.write(`  built a store of ${STORED.toLocaleString('en-US')} events in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  const big = { db: opened, store: new EventStore(opened), aggregateIds };
  built = { dir, big };
  return big;
}

export const growthAppend: BenchCase = {
  name: 'growth.append',
  fullOnly: true,
  async run({ dir }) {
    const big = bigStore(dir);
    const freshFile = path.join(dir, 'growth-fresh.db');
    const freshDb = openDatabase(freshFile);
    runMigrations(freshDb, 'store', storeMigrations);
    const fresh = new EventStore(freshDb);
    // Both stores as createApp runs them: WAL checkpoints in a worker thread, not inside a commit.
    const checkpointers = [new WalCheckpointer(path.join(dir, 'growth-big.db'), big.db), new WalCheckpointer(freshFile, freshDb)];
    const perRound = 5_000;
    const rounds = 4;
    // One event per transaction, each a new stream: the per-event lookups and index inserts are what could grow.
    const bigEvents = billEvents(perRound * rounds);
    const freshEvents = billEvents(perRound * rounds);
    let a = 0;
    let b = 0;
    const r = await interleave(
      rounds,
      () => rate(perRound, () => void big.store.append([bigEvents[a++]!])),
      () => rate(perRound, () => void fresh.append([freshEvents[b++]!])),
    );
    for (const c of checkpointers) await c.stop();
    freshDb.close();
    return ratioResult('growth.append', 'events/s', r.ours, r.baseline, 0.9, `paybus with ${STORED.toLocaleString('en-US')} events stored vs a fresh store; 1 event per transaction`);
  },
};

export const growthRead: BenchCase = {
  name: 'growth.read.p99_ms',
  fullOnly: true,
  async run({ dir }) {
    const big = bigStore(dir);
    const samples: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const id = big.aggregateIds[Math.floor(Math.random() * big.aggregateIds.length)]!;
      const start = performance.now();
      const events = big.store.getEvents(id);
      samples.push(performance.now() - start);
      if (events.length < STREAM) throw new Error(`stream ${id} has ${events.length} events, expected ${STREAM}`);
    }
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
