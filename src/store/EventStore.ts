// Append-only event log: per-aggregate versions without gaps, one global position in commit order, optimistic concurrency.
import type { EventEnvelope, StoredEvent } from '../events/envelope.js';
import { ConcurrencyError } from '../errors.js';
import { isUniqueViolation } from '../storage/errors.js';
import { inJsonArray, perEngine, type Sql, type Storage, type Transaction } from '../storage/Storage.js';
import { appendOnPostgres } from './appendOnPostgres.js';

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

/** The lock every append takes first: on PostgreSQL it makes positions commit in the order they were handed out. */
export const APPEND_LOCK = 'events.append';

const COLUMNS = 'position, id, type, aggregate_type, aggregate_id, version, occurred_at, payload, metadata';

const SQL = {
  insert: `INSERT INTO events (id, type, aggregate_type, aggregate_id, version, occurred_at, payload, metadata, recorded_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING position`,
  versionOf: 'SELECT COALESCE(MAX(version), 0) FROM events WHERE aggregate_id = ?',
  // Several streams' versions at once (SQLite: PostgreSQL reads them inside paybus_append).
  versionsOf: `SELECT a.value AS aggregate_id, COALESCE((SELECT MAX(e.version) FROM events e WHERE e.aggregate_id = a.value), 0) AS version
    FROM json_each(?) AS a`,
  storedIds: perEngine((e) => `SELECT id FROM events WHERE id ${inJsonArray(e)}`),
  streamFrom: `SELECT ${COLUMNS} FROM events WHERE aggregate_id = ? AND version >= ? ORDER BY version`,
  allAfter: `SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
  typesAfter: perEngine((e) => `SELECT ${COLUMNS} FROM events WHERE position > ? AND type ${inJsonArray(e)} ORDER BY position LIMIT ?`),
  streamAfter: `SELECT ${COLUMNS} FROM events WHERE aggregate_id = ? AND position > ? ORDER BY position LIMIT ?`,
  streamTypesAfter: perEngine((e) => `SELECT ${COLUMNS} FROM events WHERE aggregate_id = ? AND position > ? AND type ${inJsonArray(e)} ORDER BY position LIMIT ?`),
  head: 'SELECT COALESCE(MAX(position), 0) FROM events',
  count: 'SELECT COUNT(*) FROM events',
  typeCountsAfter: 'SELECT type, COUNT(*) AS count FROM (SELECT type FROM events WHERE position > ? ORDER BY position LIMIT ?) later GROUP BY type',
  byId: `SELECT ${COLUMNS} FROM events WHERE id = ?`,
};

export interface EventStoreOptions {
  /** Take the append lock (the default). false exists only so a test can show what goes wrong without it. */
  appendLock?: boolean;
}

export class EventStore {
  constructor(
    private readonly storage: Storage,
    private readonly options: EventStoreOptions = {},
  ) {}

  /**
   * Appends events all-or-nothing within `tx` and returns the ones newly stored, with their positions.
   * An event whose id is already stored is skipped, so a retried append is a no-op.
   */
  async append(tx: Transaction, events: readonly EventEnvelope[], options: AppendOptions = {}): Promise<StoredEvent[]> {
    if (events.length === 0) return [];
    const streams = [...new Set(events.map((e) => e.aggregateId))];
    if (options.expectedVersion !== undefined && streams.length > 1) {
      throw new Error('expectedVersion applies to one stream; append events of several aggregates without it');
    }
    if (tx.engine === 'postgres') {
      // The plain case is decided and written in one round trip; any other comes back with the versions.
      const appended = await refusedAsConflict(events, appendOnPostgres(tx, events, options.expectedVersion, this.lockName()));
      if ('stored' in appended) return appended.stored;
      return this.appendChecked(tx, events, appended.versions, options.expectedVersion);
    }
    return this.appendChecked(tx, events, await this.lockAndReadVersions(tx, streams), options.expectedVersion);
  }

  async getEvents(aggregateId: string, options: { fromVersion?: number } = {}, sql: Sql = this.storage): Promise<StoredEvent[]> {
    return (await sql.all<EventRow>(SQL.streamFrom, [aggregateId, options.fromVersion ?? 1])).map(rowToEvent);
  }

  /** Folds an aggregate's stream into state, the way a command handler rebuilds it. */
  async replay<S>(aggregateId: string, evolve: (state: S, event: StoredEvent) => S, initial: S, sql: Sql = this.storage): Promise<S> {
    return (await this.getEvents(aggregateId, {}, sql)).reduce(evolve, initial);
  }

  async readAll(options: ReadAllOptions = {}, sql: Sql = this.storage): Promise<StoredEvent[]> {
    const after = options.after ?? 0;
    const limit = options.limit ?? 100;
    const types = options.types && options.types.length > 0 ? JSON.stringify(options.types) : undefined;
    let rows: EventRow[];
    if (options.aggregateId !== undefined) {
      rows = types
        ? await sql.all<EventRow>(SQL.streamTypesAfter, [options.aggregateId, after, types, limit])
        : await sql.all<EventRow>(SQL.streamAfter, [options.aggregateId, after, limit]);
    } else {
      rows = types ? await sql.all<EventRow>(SQL.typesAfter, [after, types, limit]) : await sql.all<EventRow>(SQL.allAfter, [after, limit]);
    }
    return rows.map(rowToEvent);
  }

  async currentVersion(aggregateId: string, sql: Sql = this.storage): Promise<number> {
    return (await sql.value<number>(SQL.versionOf, [aggregateId]))!;
  }

  async headPosition(sql: Sql = this.storage): Promise<number> {
    return (await sql.value<number>(SQL.head))!;
  }

  /** How many events are stored (the head position says so on SQLite only: on PostgreSQL a rolled-back append leaves a gap). */
  async count(sql: Sql = this.storage): Promise<number> {
    return (await sql.value<number>(SQL.count))!;
  }

  /** The events after `after`, counted by type; at most `cap` of them are looked at. */
  typeCountsAfter(after: number, cap: number, sql: Sql = this.storage): Promise<{ type: string; count: number }[]> {
    return sql.all<{ type: string; count: number }>(SQL.typeCountsAfter, [after, cap]);
  }

  async getById(id: string, sql: Sql = this.storage): Promise<StoredEvent | undefined> {
    const row = await sql.one<EventRow>(SQL.byId, [id]);
    return row && rowToEvent(row);
  }

  /**
   * The decision both engines share, given the streams' versions read under the append lock: a wrong expected
   * version or a version out of turn is a conflict, unless the event is stored already (a retry, skipped).
   */
  private async appendChecked(tx: Transaction, events: readonly EventEnvelope[], versions: Map<string, number>, expectedVersion?: number): Promise<StoredEvent[]> {
    if (expectedVersion !== undefined) {
      const [aggregateId, current] = [...versions][0]!;
      if (current !== expectedVersion) {
        if ((await this.storedIds(tx, events)).size === events.length) return [];
        throw new ConcurrencyError(aggregateId, expectedVersion, current);
      }
    }
    const rows: EventEnvelope[] = [];
    const unexpected: EventEnvelope[] = [];
    for (const event of events) {
      // Fast path: the next version of the stream. Anything else is either a retried append (its id is stored
      // already: skipped) or a lost race / gap.
      if (event.version === versions.get(event.aggregateId)! + 1) {
        rows.push(event);
        versions.set(event.aggregateId, event.version);
      } else unexpected.push(event);
    }
    if (unexpected.length > 0) {
      const stored = await this.storedIds(tx, unexpected);
      const lost = unexpected.find((e) => !stored.has(e.id));
      if (lost) throw new ConcurrencyError(lost.aggregateId, lost.version - 1, versions.get(lost.aggregateId)!);
    }
    return rows.length === 0 ? [] : refusedAsConflict(rows, this.insert(tx, rows));
  }

  /** The append lock, unless a test left it out. */
  private lockName(): string | null {
    return this.options.appendLock === false ? null : APPEND_LOCK;
  }

  /**
   * SQLite: takes the append lock, held to the end of the transaction, then reads each stream's version. The lock
   * makes a reader that saw position 41 committed never miss a 40 that commits later: 40's transaction would have
   * had to commit before 41's could take the lock. (PostgreSQL does this inside paybus_append.)
   */
  private async lockAndReadVersions(tx: Transaction, aggregateIds: readonly string[]): Promise<Map<string, number>> {
    if (this.lockName()) await tx.lock(APPEND_LOCK);
    if (aggregateIds.length === 1) return new Map([[aggregateIds[0]!, (await tx.value<number>(SQL.versionOf, [aggregateIds[0]]))!]]);
    const rows = await tx.all<{ aggregate_id: string; version: number }>(SQL.versionsOf, [JSON.stringify(aggregateIds)]);
    return new Map(rows.map((r) => [r.aggregate_id, r.version]));
  }

  private async storedIds(sql: Sql, events: readonly EventEnvelope[]): Promise<Set<string>> {
    const rows = await sql.all<{ id: string }>(SQL.storedIds, [JSON.stringify(events.map((e) => e.id))]);
    return new Set(rows.map((r) => r.id));
  }

  /** Rows already checked against the versions read under the lock. */
  private async insert(tx: Transaction, events: readonly EventEnvelope[]): Promise<StoredEvent[]> {
    if (tx.engine === 'postgres') {
      const appended = await appendOnPostgres(tx, events, undefined, this.lockName());
      // The versions moved since they were read: only possible without the append lock.
      if (!('stored' in appended)) throw new ConcurrencyError(events[0]!.aggregateId, events[0]!.version - 1, appended.versions.get(events[0]!.aggregateId));
      return appended.stored;
    }
    const recordedAt = new Date().toISOString();
    const stored: StoredEvent[] = [];
    for (const event of events) {
      const c = columnsOf(event);
      const position = await tx.value<number>(SQL.insert, [c.id, c.type, c.aggregate_type, c.aggregate_id, c.version, c.occurred_at, c.payload, c.metadata, recordedAt]);
      // undefined: the same id is stored already, under another stream position.
      if (position !== undefined) stored.push({ ...event, position });
    }
    return stored;
  }
}

/** The unique (aggregate_id, version) index is the last line of defence against a lost race. */
async function refusedAsConflict<T>(events: readonly EventEnvelope[], appending: Promise<T>): Promise<T> {
  try {
    return await appending;
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const first = events[0]!;
    throw new ConcurrencyError(first.aggregateId, first.version - 1);
  }
}

function columnsOf(event: EventEnvelope) {
  return {
    id: event.id,
    type: event.type,
    aggregate_type: event.aggregateType,
    aggregate_id: event.aggregateId,
    version: event.version,
    occurred_at: event.occurredAt,
    payload: JSON.stringify(event.payload),
    metadata: JSON.stringify(event.metadata),
  };
}
