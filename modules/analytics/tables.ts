// The analytics read model: event counts by type and UTC day, and a bounded window of handling-latency samples.
import type { Migration } from '../../src/moduleKit.js';

/** `countsSuffix`: SQLite keeps the counts in their primary key; `sampleId`: an ever-growing id per engine. */
const tables = (countsSuffix: string, sampleId: string) => `
  -- One row per (type, day): byType and byDay are both sums over it, and it grows by a few rows a day.
  CREATE TABLE analytics_event_counts (
    type TEXT NOT NULL,
    day TEXT NOT NULL,
    count INTEGER NOT NULL CHECK (count > 0),
    PRIMARY KEY (type, day)
  )${countsSuffix};
  -- Latency is an observation of live delivery, not a fact of the log: a rebuild leaves these rows alone.
  CREATE TABLE analytics_latency_samples (
    id ${sampleId},
    event_id TEXT NOT NULL,
    latency_ms BIGINT NOT NULL CHECK (latency_ms >= 0),
    handled_at TEXT NOT NULL
  );
  CREATE INDEX analytics_latency_samples_ms ON analytics_latency_samples (latency_ms);`;

export const analyticsMigrations: Migration[] = [
  {
    id: '001-analytics',
    sql: { sqlite: tables(' WITHOUT ROWID', 'INTEGER PRIMARY KEY AUTOINCREMENT'), postgres: tables('', 'BIGSERIAL PRIMARY KEY') },
  },
];

/** Tables the counts reaction alone writes, and which a rebuild may empty and replay. */
export const ANALYTICS_COUNT_TABLES = ['analytics_event_counts'];
