// Schema of the event store and the outbox; the engines differ only in how an ever-growing id is declared, and
// PostgreSQL gets the function that does every append.
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

// A whole append in one round trip: the lock, the notification, a compare-and-insert. The store says which version
// each stream must be at (it checks the order of the events itself); when every stream is there the rows go in, in
// the order of the arrays, and their positions come back. Otherwise nothing is written and the streams' versions
// come back, for the store to decide (a retry, a lost race, a gap). One array a column (unnest): one prepared
// statement whatever the batch size. OR REPLACE: safe to run again. paybus_lock_versions stays for processes of the
// previous release still running.
const append = `
  CREATE OR REPLACE FUNCTION paybus_append(lock_name text, stream_ids text[], stream_versions integer[], ids text[],
      types text[], aggregate_types text[], aggregate_ids text[], versions integer[], occurred_ats text[],
      payloads text[], metadatas text[], recorded_at text)
    RETURNS TABLE (event_id text, event_position bigint, stream_id text, stream_version integer)
    LANGUAGE plpgsql AS $$
  BEGIN
    -- NULL only from the test that shows what goes wrong without it. Each statement below reads what committed
    -- before it began, so after the lock is held.
    IF lock_name IS NOT NULL THEN
      PERFORM pg_advisory_xact_lock(hashtext(current_schema() || ':' || lock_name));
    END IF;
    PERFORM pg_notify(current_schema() || '.events', '');
    IF EXISTS (SELECT 1 FROM unnest(stream_ids, stream_versions) AS s(id, version)
        WHERE s.version <> COALESCE((SELECT MAX(e.version) FROM events e WHERE e.aggregate_id = s.id), 0)) THEN
      RETURN QUERY SELECT NULL::text, NULL::bigint, s.id, COALESCE((SELECT MAX(e.version) FROM events e WHERE e.aggregate_id = s.id), 0)
        FROM unnest(stream_ids) AS s(id);
      RETURN;
    END IF;
    -- An id stored already is skipped (a retried append).
    RETURN QUERY WITH inserted AS (
      INSERT INTO events (id, type, aggregate_type, aggregate_id, version, occurred_at, payload, metadata, recorded_at)
      SELECT r.id, r.type, r.aggregate_type, r.aggregate_id, r.version, r.occurred_at, r.payload, r.metadata, recorded_at
        FROM unnest(ids, types, aggregate_types, aggregate_ids, versions, occurred_ats, payloads, metadatas)
          WITH ORDINALITY AS r(id, type, aggregate_type, aggregate_id, version, occurred_at, payload, metadata, n)
        ORDER BY r.n
      ON CONFLICT (id) DO NOTHING RETURNING events.id, events.position)
    SELECT i.id, i.position, NULL::text, NULL::integer FROM inserted i;
  END $$;`;

export const storeMigrations: Migration[] = [
  {
    id: '001-events-and-outbox',
    sql: { sqlite: eventsAndOutbox('INTEGER PRIMARY KEY AUTOINCREMENT'), postgres: eventsAndOutbox('BIGSERIAL PRIMARY KEY') + lockVersions },
  },
  // SQLite appends with plain statements: nothing to create.
  { id: '002-append-function', sql: { sqlite: '-- no function on SQLite', postgres: append } },
];
