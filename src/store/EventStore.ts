// Append-only event log on SQLite: per-aggregate versions without gaps, one global position, optimistic concurrency.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/openDatabase.js';
import type { EventEnvelope, StoredEvent } from '../events/envelope.js';
import { ConcurrencyError } from '../errors.js';

export interface AppendOptions {
  /** The version the stream must be at before this append (0 for a new stream). */
  expectedVersion?: number;
}

export interface ReadAllOptions {
  after?: number;
  limit?: number;
  /** Exact event types; empty or absent means all. */
  types?: readonly string[];
  aggregateId?: string;
}

interface EventRow {
  position: number;
  id: string;
  type: string;
  aggregate_type: string;
  aggregate_id: string;
  version: number;
  occurred_at: string;
  payload: string;
  metadata: string;
}

export function rowToEvent(row: EventRow): StoredEvent {
  return {
    id: row.id,
    type: row.type,
    aggregateType: row.aggregate_type,
    aggregateId: row.aggregate_id,
    version: row.version,
    occurredAt: row.occurred_at,
    payload: JSON.parse(row.payload),
    metadata: JSON.parse(row.metadata),
    position: row.position,
  };
}

const COLUMNS = 'position, id, type, aggregate_type, aggregate_id, version, occurred_at, payload, metadata';

export class EventStore {
  private readonly insert: Statement;
  private readonly positionOfId: Statement;
  private readonly versionOf: Statement;
  private readonly streamFrom: Statement;
  private readonly allAfter: Statement;
  private readonly typesAfter: Statement;
  private readonly streamAfter: Statement;
  private readonly streamTypesAfter: Statement;
  private readonly head: Statement;
  private readonly byId: Statement;
  private readonly appendTx: (events: readonly EventEnvelope[], options: AppendOptions) => StoredEvent[];

  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      `INSERT INTO events (id, type, aggregate_type, aggregate_id, version, occurred_at, payload, metadata, recorded_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    );
    this.positionOfId = db.prepare('SELECT position FROM events WHERE id = ?').pluck();
    this.versionOf = db.prepare('SELECT COALESCE(MAX(version), 0) FROM events WHERE aggregate_id = ?').pluck();
    this.streamFrom = db.prepare(`SELECT ${COLUMNS} FROM events WHERE aggregate_id = ? AND version >= ? ORDER BY version`);
    this.allAfter = db.prepare(`SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`);
    // json_each keeps the type filter one prepared statement whatever the number of types.
    this.typesAfter = db.prepare(
      `SELECT ${COLUMNS} FROM events WHERE position > ? AND type IN (SELECT value FROM json_each(?)) ORDER BY position LIMIT ?`,
    );
    this.streamAfter = db.prepare(`SELECT ${COLUMNS} FROM events WHERE aggregate_id = ? AND position > ? ORDER BY position LIMIT ?`);
    this.streamTypesAfter = db.prepare(
      `SELECT ${COLUMNS} FROM events WHERE aggregate_id = ? AND position > ? AND type IN (SELECT value FROM json_each(?)) ORDER BY position LIMIT ?`,
    );
    this.head = db.prepare('SELECT COALESCE(MAX(position), 0) FROM events').pluck();
    this.byId = db.prepare(`SELECT ${COLUMNS} FROM events WHERE id = ?`);
    // IMMEDIATE takes the write lock before reading the stream version, so two processes appending to one
    // stream serialise on busy_timeout instead of failing with SQLITE_BUSY_SNAPSHOT.
    const tx = db.transaction((events: readonly EventEnvelope[], options: AppendOptions) => this.appendInTransaction(events, options));
    this.appendTx = (events, options) => (db.inTransaction ? tx(events, options) : tx.immediate(events, options));
  }

  /**
   * Appends events all-or-nothing and returns the ones newly stored, with their positions.
   * An event whose id is already stored is skipped, so a retried append is a no-op.
   */
  append(events: readonly EventEnvelope[], options: AppendOptions = {}): StoredEvent[] {
    if (events.length === 0) return [];
    return this.appendTx(events, options);
  }

  getEvents(aggregateId: string, options: { fromVersion?: number } = {}): StoredEvent[] {
    return (this.streamFrom.all(aggregateId, options.fromVersion ?? 1) as EventRow[]).map(rowToEvent);
  }

  /** Folds an aggregate's stream into state, the way a command handler rebuilds it. */
  replay<S>(aggregateId: string, evolve: (state: S, event: StoredEvent) => S, initial: S): S {
    let state = initial;
    for (const row of this.streamFrom.iterate(aggregateId, 1) as IterableIterator<EventRow>) state = evolve(state, rowToEvent(row));
    return state;
  }

  readAll(options: ReadAllOptions = {}): StoredEvent[] {
    const after = options.after ?? 0;
    const limit = options.limit ?? 100;
    const types = options.types && options.types.length > 0 ? JSON.stringify(options.types) : undefined;
    let rows: EventRow[];
    if (options.aggregateId !== undefined) {
      rows = (types ? this.streamTypesAfter.all(options.aggregateId, after, types, limit) : this.streamAfter.all(options.aggregateId, after, limit)) as EventRow[];
    } else {
      rows = (types ? this.typesAfter.all(after, types, limit) : this.allAfter.all(after, limit)) as EventRow[];
    }
    return rows.map(rowToEvent);
  }

  currentVersion(aggregateId: string): number {
    return this.versionOf.get(aggregateId) as number;
  }

  headPosition(): number {
    return this.head.get() as number;
  }

  getById(id: string): StoredEvent | undefined {
    const row = this.byId.get(id) as EventRow | undefined;
    return row && rowToEvent(row);
  }

  private insertRow(event: EventEnvelope, recordedAt: string, current: number) {
    try {
      return this.insert.run(
        event.id,
        event.type,
        event.aggregateType,
        event.aggregateId,
        event.version,
        event.occurredAt,
        JSON.stringify(event.payload),
        JSON.stringify(event.metadata),
        recordedAt,
      );
    } catch (error) {
      // The unique (aggregate_id, version) index is the last line of defence against a lost race.
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new ConcurrencyError(event.aggregateId, event.version - 1, current);
      throw error;
    }
  }

  private appendInTransaction(events: readonly EventEnvelope[], options: AppendOptions): StoredEvent[] {
    if (options.expectedVersion !== undefined && new Set(events.map((e) => e.aggregateId)).size > 1) {
      throw new Error('expectedVersion applies to one stream; append events of several aggregates without it');
    }
    const versions = new Map<string, number>();
    const recordedAt = new Date().toISOString();
    const stored: StoredEvent[] = [];
    for (const event of events) {
      let current = versions.get(event.aggregateId);
      if (current === undefined) {
        current = this.currentVersion(event.aggregateId);
        if (options.expectedVersion !== undefined && current !== options.expectedVersion) {
          if (this.allStored(events)) return [];
          throw new ConcurrencyError(event.aggregateId, options.expectedVersion, current);
        }
      }
      // Fast path: the next version of the stream. Anything else is either a retried append (its id is
      // stored already: skip it) or a lost race / gap.
      if (event.version !== current + 1) {
        if (this.positionOfId.get(event.id) !== undefined) continue;
        throw new ConcurrencyError(event.aggregateId, event.version - 1, current);
      }
      const info = this.insertRow(event, recordedAt, current);
      if (info.changes === 0) continue; // same id already stored under another stream position
      versions.set(event.aggregateId, event.version);
      stored.push({ ...event, position: Number(info.lastInsertRowid) });
    }
    return stored;
  }

  private allStored(events: readonly EventEnvelope[]): boolean {
    return events.every((e) => this.positionOfId.get(e.id) !== undefined);
  }
}
