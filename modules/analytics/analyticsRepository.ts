// Data access for the analytics tables: prepared statements only.
import type { Sql } from '../../src/moduleKit.js';
import type { CountRow } from './summarize.js';

/** How many latency samples are kept: enough for a steady p99, small enough to sort on every request. */
export const LATENCY_WINDOW = 10_000;

const SQL = {
  bump: `INSERT INTO analytics_event_counts (type, day, count) VALUES (?, ?, 1)
    ON CONFLICT (type, day) DO UPDATE SET count = analytics_event_counts.count + 1`,
  addSample: 'INSERT INTO analytics_latency_samples (event_id, latency_ms, handled_at) VALUES (?, ?, ?) RETURNING id',
  // Ids only grow, so everything at or below newest - window is outside the window.
  trimSamples: 'DELETE FROM analytics_latency_samples WHERE id <= ?',
  counts: 'SELECT type, day, count FROM analytics_event_counts ORDER BY type, day',
  samples: 'SELECT latency_ms FROM analytics_latency_samples ORDER BY latency_ms',
};

export const analyticsRepository = {
  async countEvent(db: Sql, type: string, day: string): Promise<void> {
    await db.run(SQL.bump, [type, day]);
  },

  async recordLatency(db: Sql, eventId: string, latencyMs: number, handledAt: string, window = LATENCY_WINDOW): Promise<void> {
    const id = (await db.value<number>(SQL.addSample, [eventId, latencyMs, handledAt]))!;
    if (id > window) await db.run(SQL.trimSamples, [id - window]);
  },

  counts: (db: Sql) => db.all<CountRow>(SQL.counts),

  latenciesAscending: async (db: Sql) => (await db.all<{ latency_ms: number }>(SQL.samples)).map((r) => r.latency_ms),
};
