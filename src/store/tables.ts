// Schema of the event store and the outbox; the engines differ only in how an ever-growing id is declared, and
// PostgreSQL gets the function that starts every append.
import type { Migration } from '../storage/migrate.js';

/** `serial`: an ever-growing integer key (SQLite AUTOINCREMENT; PostgreSQL BIGSERIAL, taken under the append lock). */
const eventsAndOutbox = (serial: string) => `
  CREATE TABLE events (
    position ${serial},
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    aggregate_type TEXT NOT NULL,
    aggregate_id TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    occurred_at TEXT NOT NULL,
    payload TEXT NOT NULL,
    metadata TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    UNIQUE (aggregate_id, version)
  );
  CREATE INDEX events_type_position ON events (type, position);

  CREATE TABLE outbox (
    id ${serial},
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    published_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
  );
  CREATE INDEX outbox_pending ON outbox (id) WHERE published_at IS NULL;`;

const lockVersions = `
  -- The first step of every append, in one round trip: take the append lock, then read the streams' versions.
  -- Inside a function each statement sees what committed before it began, so the versions are read after the
  -- lock is held (a plain SELECT calling the lock would read them as they were before it waited).
  CREATE FUNCTION paybus_lock_versions(lock_name text, aggregate_ids jsonb)
    RETURNS TABLE (aggregate_id text, version integer) LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM pg_advisory_xact_lock(hashtext(current_schema() || ':' || lock_name));
    -- Delivered at COMMIT (never on rollback), once per transaction: other processes read the log on from there.
    PERFORM pg_notify(current_schema() || '.events', '');
    RETURN QUERY SELECT a.id, COALESCE((SELECT MAX(e.version) FROM events e WHERE e.aggregate_id = a.id), 0)
      FROM jsonb_array_elements_text(aggregate_ids) AS a(id);
  END $$;`;

export const storeMigrations: Migration[] = [
  {
    id: '001-events-and-outbox',
    sql: { sqlite: eventsAndOutbox('INTEGER PRIMARY KEY AUTOINCREMENT'), postgres: eventsAndOutbox('BIGSERIAL PRIMARY KEY') + lockVersions },
  },
];
