// The analytics read model: event counts by type and UTC day, and a bounded window of handling-latency samples.
import type { Migration } from '../../src/db/migrate.js';

export const analyticsMigrations: Migration[] = [
  {
    id: '001-analytics',
    sql: `
      -- One row per (type, day): byType and byDay are both sums over it, and it grows by a few rows a day.
      CREATE TABLE analytics_event_counts (
        type TEXT NOT NULL,
        day TEXT NOT NULL,
        count INTEGER NOT NULL CHECK (count > 0),
        PRIMARY KEY (type, day)
      ) WITHOUT ROWID;
      -- Latency is an observation of live delivery, not a fact of the log: a rebuild leaves these rows alone.
      CREATE TABLE analytics_latency_samples (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL,
        latency_ms INTEGER NOT NULL CHECK (latency_ms >= 0),
        handled_at TEXT NOT NULL
      );
      CREATE INDEX analytics_latency_samples_ms ON analytics_latency_samples (latency_ms);
    `,
  },
];

/** Tables the counts reaction alone writes, and which a rebuild may empty and replay. */
export const ANALYTICS_COUNT_TABLES = ['analytics_event_counts'];
