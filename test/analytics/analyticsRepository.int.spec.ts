import fs from 'node:fs';
import { expect } from 'chai';
import { analyticsMigrations, analyticsRepository as analytics, percentile } from '../../modules/analytics/index.js';
import { runMigrations } from '../../src/storage/migrate.js';
import { openStorage } from '../../src/storage/openStorage.js';
import type { Storage } from '../../src/storage/Storage.js';
import { tempDir, testConfig } from '../support/testApp.js';
import { dropSchema, onPostgres, schemaFor } from '../support/testStorage.js';

// The repository on a real database of the run's engine (a SQLite file, or a PostgreSQL schema with TEST_STORAGE=postgres).
describe('analyticsRepository', () => {
  let dir: string;
  let db: Storage;
  beforeEach(async () => {
    dir = tempDir();
    db = await openStorage(testConfig({}, dir), (error) => console.error(error));
    await runMigrations(db, [{ owner: 'analytics', migrations: analyticsMigrations }]);
  });
  afterEach(async () => {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
    if (onPostgres) await dropSchema(schemaFor(dir));
  });

  it('keeps only the newest samples of its window, so the table does not grow forever', async () => {
    for (let i = 1; i <= 12; i++) await analytics.recordLatency(db, `e${i}`, 100 - i, new Date().toISOString(), 5);
    const kept = (await db.all<{ event_id: string }>('SELECT event_id FROM analytics_latency_samples ORDER BY id')).map((r) => r.event_id);
    expect(kept).to.deep.equal(['e8', 'e9', 'e10', 'e11', 'e12']);
    expect(await analytics.latenciesAscending(db)).to.deep.equal([88, 89, 90, 91, 92]);
  });

  it('ranks the percentiles in the database as percentile() ranks the samples, null when there are none', async () => {
    expect(await analytics.latencyPercentiles(db)).to.deep.equal({ p50: null, p95: null, p99: null });
    const samples: number[] = [];
    for (const count of [1, 2, 3, 7, 100, 101, 250]) {
      while (samples.length < count) {
        const ms = (samples.length * 7919) % 1000; // spread out, repeats included
        samples.push(ms);
        await analytics.recordLatency(db, `e${samples.length}`, ms, new Date().toISOString());
      }
      const ascending = [...samples].sort((a, b) => a - b);
      expect(await analytics.latencyPercentiles(db), `${count} samples`).to.deep.equal({
        p50: percentile(ascending, 50),
        p95: percentile(ascending, 95),
        p99: percentile(ascending, 99),
      });
    }
  });

  it('adds up counts per type and day', async () => {
    await analytics.countEvent(db, 'user.created', '2024-01-01');
    await analytics.countEvent(db, 'user.created', '2024-01-01');
    await analytics.countEvent(db, 'bill.created', '2024-01-02');
    expect(await analytics.counts(db)).to.deep.equal([
      { type: 'bill.created', day: '2024-01-02', count: 1 },
      { type: 'user.created', day: '2024-01-01', count: 2 },
    ]);
  });
});
