// Data access for the analytics tables: prepared statements only.
import type { Sql } from '../../src/moduleKit.js';
import type { CountRow, LatencySummary } from './summarize.js';

/** How many latency samples are kept: enough for a steady p99. */
export const LATENCY_WINDOW = 10_000;

const SQL = {
  bump: `INSERT INTO analytics_event_counts (type, day, count) VALUES (?, ?, 1)
    ON CONFLICT (type, day) DO UPDATE SET count = analytics_event_counts.count + 1`,
  addSample: 'INSERT INTO analytics_latency_samples (event_id, latency_ms, handled_at) VALUES (?, ?, ?) RETURNING id',
  // Ids only grow, so everything at or below newest - window is outside the window.
  trimSamples: 'DELETE FROM analytics_latency_samples WHERE id <= ?',
  counts: 'SELECT type, day, count FROM analytics_event_counts ORDER BY type, day',
  samples: 'SELECT latency_ms FROM analytics_latency_samples ORDER BY latency_ms',
  // Nearest rank ceil(p·n/100), 0-based: (p·n − 1) / 100 in integer division (0 for an empty table, which has no row).
  // Each pick walks the latency_ms index to its offset; one statement, so all three read one snapshot.
  percentiles: `WITH n AS (SELECT COUNT(*) AS c FROM analytics_latency_samples) SELECT
    ${[50, 95, 99].map((p) => `(SELECT latency_ms FROM analytics_latency_samples ORDER BY latency_ms LIMIT 1 OFFSET (SELECT (${p} * c - 1) / 100 FROM n)) AS p${p}`).join(',\n    ')}`,
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

  /**
   * The window's nearest-rank p50, p95 and p99, ranked by the database: reading every sample into JavaScript to rank
   * it here cost milliseconds a call at 10,000 samples, and dashboards and clients waiting for the counts poll this.
   */
  async latencyPercentiles(db: Sql): Promise<LatencySummary> {
    const row = await db.one<Record<'p50' | 'p95' | 'p99', number | string | null>>(SQL.percentiles);
    const ms = (value: number | string | null | undefined) => (value === null || value === undefined ? null : Number(value));
    return { p50: ms(row?.p50), p95: ms(row?.p95), p99: ms(row?.p99) };
  },
};
