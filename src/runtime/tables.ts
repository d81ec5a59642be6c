// Schema of what subscribers record: checkpoints, inbox, dead letters.
import type { Migration } from '../db/migrate.js';

export const runtimeMigrations: Migration[] = [
  {
    id: '001-subscribers',
    sql: `
      CREATE TABLE subscriber_checkpoints (
        subscriber TEXT PRIMARY KEY,
        position INTEGER NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE inbox (
        subscriber TEXT NOT NULL,
        event_id TEXT NOT NULL,
        handled_at TEXT NOT NULL,
        PRIMARY KEY (subscriber, event_id)
      ) WITHOUT ROWID;
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
      CREATE INDEX dead_letters_subscriber ON dead_letters (subscriber, first_failed_at);
    `,
  },
];
