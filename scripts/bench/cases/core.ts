// bus.publish, store.append.single, store.append.batch and latency.bus.p99_ms.
import fs from 'node:fs';
import path from 'node:path';
import { EventEmitter } from 'eventemitter3';
import { EventBus } from '../../../src/bus/EventBus.js';
import { runMigrations } from '../../../src/db/migrate.js';
import { openDatabase } from '../../../src/db/openDatabase.js';
import { EventStore } from '../../../src/store/EventStore.js';
import { storeMigrations } from '../../../src/store/tables.js';
import { openRawEventTable } from '../baselines/rawEventTable.js';
import { billEvents } from '../events.js';
import { type BenchCase, interleave, rate, ratioResult, throughput } from '../harness.js';

const rounds = (quick: boolean) => (quick ? 2 : 4);
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

function appendCase(name: string, batch: number): BenchCase {
  return {
    name,
    async run({ quick, dir }) {
      // One per transaction is slow on a shared disk: fewer rows keep the full run within a few minutes.
      const perRound = batch === 1 ? (quick ? 4_000 : 10_000) : quick ? 10_000 : 30_000;
      const calls = perRound / batch;
      const oursDb = openDatabase(path.join(dir, `${name}-ours.db`));
      runMigrations(oursDb, 'store', storeMigrations);
      const store = new EventStore(oursDb);
      const raw = openRawEventTable(path.join(dir, `${name}-raw.db`));
      // Same rows on both sides: each side gets its own copy of the same event list.
      const events = billEvents(perRound * rounds(quick));
      const batches = Array.from({ length: events.length / batch }, (_, i) => events.slice(i * batch, (i + 1) * batch));
      let a = 0;
      let b = 0;
      const r = await interleave(
        rounds(quick),
        () => rate(calls, () => void store.append(batches[a++]!), batch),
        () => rate(calls, () => void raw.insertMany(batches[b++]!), batch),
      );
      oursDb.close();
      raw.db.close();
      for (const f of fs.readdirSync(dir)) if (f.startsWith(name)) fs.rmSync(path.join(dir, f), { force: true });
      return ratioResult(name, 'events/s', r.ours, r.baseline, 0.8, `${batch} per transaction, WAL, synchronous=NORMAL`);
    },
  };
}

export const storeAppendSingle = appendCase('store.append.single', 1);
export const storeAppendBatch = appendCase('store.append.batch', 100);
