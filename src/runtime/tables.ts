// Schema of what subscribers record: checkpoints, inbox, dead letters.
import type { Migration } from '../storage/migrate.js';

/** `position`: the column type of a global position; `withoutRowid`: SQLite keeps the inbox in its primary key. */
const subscribers = (position: string, withoutRowid: string) => `
  CREATE TABLE subscriber_checkpoints (
    subscriber TEXT PRIMARY KEY,
    position ${position} NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE inbox (
    subscriber TEXT NOT NULL,
    event_id TEXT NOT NULL,
    handled_at TEXT NOT NULL,
    PRIMARY KEY (subscriber, event_id)
  )${withoutRowid};
  CREATE TABLE dead_letters (
    id TEXT PRIMARY KEY,
    subscriber TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    event TEXT NOT NULL,
    error TEXT NOT NULL,
    stack TEXT,
    attempts INTEGER NOT NULL,
    first_failed_at TEXT NOT NULL,
    last_failed_at TEXT NOT NULL,
    UNIQUE (subscriber, event_id)
  );
  CREATE INDEX dead_letters_subscriber ON dead_letters (subscriber, first_failed_at);`;

export const runtimeMigrations: Migration[] = [
  { id: '001-subscribers', sql: { sqlite: subscribers('INTEGER', ' WITHOUT ROWID'), postgres: subscribers('BIGINT', '') } },
];
