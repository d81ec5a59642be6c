// Data access for the analytics tables: prepared statements only.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../../src/db/openDatabase.js';
import type { CountRow } from './summarize.js';

/** How many latency samples are kept: enough for a steady p99, small enough to sort on every request. */
export const LATENCY_WINDOW = 10_000;

export class AnalyticsRepository {
  private readonly bump: Statement;
  private readonly addSample: Statement;
  private readonly trimSamples: Statement;
  private readonly allCounts: Statement;
  private readonly sortedSamples: Statement;

  constructor(
    db: Db,
    private readonly window = LATENCY_WINDOW,
  ) {
    this.bump = db.prepare(
      `INSERT INTO analytics_event_counts (type, day, count) VALUES (?, ?, 1)
       ON CONFLICT (type, day) DO UPDATE SET count = count + 1`,
    );
    this.addSample = db.prepare('INSERT INTO analytics_latency_samples (event_id, latency_ms, handled_at) VALUES (?, ?, ?)');
    // Ids only grow (AUTOINCREMENT), so everything at or below newest - window is outside the window.
    this.trimSamples = db.prepare('DELETE FROM analytics_latency_samples WHERE id <= ?');
    this.allCounts = db.prepare('SELECT type, day, count FROM analytics_event_counts ORDER BY type, day');
    this.sortedSamples = db.prepare('SELECT latency_ms FROM analytics_latency_samples ORDER BY latency_ms').pluck();
  }

  countEvent(type: string, day: string): void {
    this.bump.run(type, day);
  }

  recordLatency(eventId: string, latencyMs: number, handledAt: string): void {
    const id = Number(this.addSample.run(eventId, latencyMs, handledAt).lastInsertRowid);
    if (id > this.window) this.trimSamples.run(id - this.window);
  }

  counts(): CountRow[] {
    return this.allCounts.all() as CountRow[];
  }

  latenciesAscending(): number[] {
    return this.sortedSamples.all() as number[];
  }
}
