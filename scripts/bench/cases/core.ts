// bus.publish, store.append.single and store.append.batch (SQLite); appendRates is shared with the pg.append cases.
import fs from 'node:fs';
import path from 'node:path';
import { EventEmitter } from 'eventemitter3';
import { EventBus } from '../../../src/bus/EventBus.js';
import type { EventEnvelope } from '../../../src/events/envelope.js';
import { runMigrations } from '../../../src/storage/migrate.js';
import { SqliteStorage } from '../../../src/storage/sqlite/SqliteStorage.js';
import { EventStore } from '../../../src/store/EventStore.js';
import { storeMigrations } from '../../../src/store/tables.js';
import { openRawEventTable } from '../baselines/rawEventTable.js';
import { billEvents } from '../events.js';
import { type BenchCase, interleave, rate, ratioResult, throughput } from '../harness.js';

export const rounds = (quick: boolean) => (quick ? 2 : 4);
const slice = (quick: boolean) => (quick ? 700 : 2000);

export const busPublish: BenchCase = {
  name: 'bus.publish',
  async run({ quick }) {
    const [event] = billEvents(1);
    const bus = new EventBus();
    const raw = new EventEmitter();
    let sink = 0;
    for (let i = 0; i < 3; i++) {
      bus.subscribe('bill.created', () => void sink++);
      raw.on('bill.created', () => void sink++);
    }
    const r = await interleave(
      rounds(quick),
      () => throughput(slice(quick), () => bus.publish(event!)),
      () => throughput(slice(quick), () => void raw.emit('bill.created', event)),
    );
    return ratioResult('bus.publish', 'events/s', r.ours, r.baseline, 0.5, `3 subscribers; sink ${sink > 0}`);
  },
};

/**
 * Appends `perRound` fresh events a round, `batch` to a call, on each side, interleaved. Each call is awaited before
 * the next starts: one transaction after another, as a single writer would, never several in flight.
 */
export async function appendRates(
  quick: boolean,
  batch: number,
  perRound: number,
  ours: (events: readonly EventEnvelope[]) => Promise<unknown>,
  raw: (events: readonly EventEnvelope[]) => void | Promise<void>,
): Promise<{ ours: number; baseline: number }> {
  const calls = perRound / batch;
  // Same rows on both sides (each side has its own database), built before timing.
  const events = billEvents(perRound * rounds(quick));
  const batches = Array.from({ length: events.length / batch }, (_, i) => events.slice(i * batch, (i + 1) * batch));
  let a = 0;
  let b = 0;
  // Each op returns its side's promise as it is (no async wrapper): the harness adds one await a call and nothing more.
  return interleave(
    rounds(quick),
    () => rate(calls, () => ours(batches[a++]!), batch),
    () => rate(calls, () => raw(batches[b++]!), batch),
  );
}

function appendCase(name: string, batch: number): BenchCase {
  return {
    name,
    async run({ quick, dir }) {
      // One per transaction is slow on a shared disk: fewer rows keep the full run within a few minutes.
      const perRound = batch === 1 ? (quick ? 4_000 : 10_000) : quick ? 10_000 : 30_000;
      // No checkpointer thread: SQLite checkpoints inside commits on both sides, as the raw baseline does.
      const storage = new SqliteStorage(path.join(dir, `${name}-ours.db`), { checkpointer: false });
      const raw = openRawEventTable(path.join(dir, `${name}-raw.db`));
      try {
        await runMigrations(storage, [{ owner: 'store', migrations: storeMigrations }]);
        const store = new EventStore(storage);
        const r = await appendRates(quick, batch, perRound, (events) => storage.transaction((tx) => store.append(tx, events)), raw.insertMany);
        return ratioResult(name, 'events/s', r.ours, r.baseline, 0.8, `${batch} per transaction, awaited one after another; ours: storage.transaction + EventStore.append; WAL, synchronous=NORMAL`);
      } finally {
        await storage.close();
        raw.db.close();
        for (const f of fs.readdirSync(dir)) if (f.startsWith(name)) fs.rmSync(path.join(dir, f), { force: true });
      }
    },
  };
}

export const storeAppendSingle = appendCase('store.append.single', 1);
export const storeAppendBatch = appendCase('store.append.batch', 100);
