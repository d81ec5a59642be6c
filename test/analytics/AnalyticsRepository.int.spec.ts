import path from 'node:path';
import fs from 'node:fs';
import { expect } from 'chai';
import { AnalyticsRepository } from '../../modules/analytics/index.js';
import { analyticsMigrations } from '../../modules/analytics/index.js';
import { runMigrations } from '../../src/db/migrate.js';
import { type Db, openDatabase } from '../../src/db/openDatabase.js';
import { tempDir } from '../support/testApp.js';

describe('AnalyticsRepository', () => {
  let dir: string;
  let db: Db;
  beforeEach(() => {
    dir = tempDir();
    db = openDatabase(path.join(dir, 'analytics.db'));
    runMigrations(db, 'analytics', analyticsMigrations);
  });
  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps only the newest samples of its window, so the table does not grow forever', () => {
    const repo = new AnalyticsRepository(db, 5);
    for (let i = 1; i <= 12; i++) repo.recordLatency(`e${i}`, 100 - i, new Date().toISOString());
    const kept = db.prepare('SELECT event_id FROM analytics_latency_samples ORDER BY id').pluck().all();
    expect(kept).to.deep.equal(['e8', 'e9', 'e10', 'e11', 'e12']);
    expect(repo.latenciesAscending()).to.deep.equal([88, 89, 90, 91, 92]);
  });

  it('adds up counts per type and day', () => {
    const repo = new AnalyticsRepository(db);
    repo.countEvent('user.created', '2024-01-01');
    repo.countEvent('user.created', '2024-01-01');
    repo.countEvent('bill.created', '2024-01-02');
    expect(repo.counts()).to.deep.equal([
      { type: 'bill.created', day: '2024-01-02', count: 1 },
      { type: 'user.created', day: '2024-01-01', count: 2 },
    ]);
  });
});
