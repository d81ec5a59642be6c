// Outbox rows: written in the same transaction as the events they carry, marked published only after delivery.
import type { StoredEvent } from '../events/envelope.js';
import { inJsonArray, perEngine, type Storage, type Transaction } from '../storage/Storage.js';

export interface OutboxRow {
  id: number;
  eventId: string;
  eventType: string;
  /** The envelope serialised once, as it goes on the wire. */
  body: string;
  createdAt: string;
  attempts: number;
}

export interface OutboxStatus {
  pending: number;
  oldestPendingAt: string | null;
  lastError: string | null;
}

/** The envelope as JSON, without the store's position: what every consumer receives. */
export function serializeEnvelope(event: StoredEvent): string {
  const { position: _position, ...envelope } = event;
  return JSON.stringify(envelope);
}

const SQL = {
  insert: 'INSERT INTO outbox (event_id, event_type, body, created_at) VALUES (?, ?, ?, ?) RETURNING id',
  insertMany: `INSERT INTO outbox (event_id, event_type, body, created_at)
    SELECT event_id, event_type, body, created_at FROM jsonb_to_recordset(?::jsonb)
      AS r(n int, event_id text, event_type text, body text, created_at text)
    ORDER BY n RETURNING id`,
  pending: `SELECT id, event_id AS "eventId", event_type AS "eventType", body, created_at AS "createdAt", attempts
    FROM outbox WHERE published_at IS NULL AND id > ? ORDER BY id LIMIT ?`,
  // By the ids actually published, never by a range: with several writers a row inside the range may have
  // committed after the batch was read, and a range would mark it sent without sending it.
  mark: perEngine((e) => `UPDATE outbox SET published_at = ? WHERE id ${inJsonArray(e, 'bigint')} AND published_at IS NULL`),
  fail: perEngine((e) => `UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id ${inJsonArray(e, 'bigint')} AND published_at IS NULL`),
  countPending: 'SELECT COUNT(*) FROM outbox WHERE published_at IS NULL',
  oldest: 'SELECT created_at FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT 1',
  lastError: 'SELECT last_error FROM outbox WHERE last_error IS NOT NULL ORDER BY id DESC LIMIT 1',
};

export class Outbox {
  constructor(private readonly storage: Storage) {}

  /** Must run inside the transaction that appended the events. Returns the outbox ids, in order. */
  async add(tx: Transaction, events: readonly StoredEvent[]): Promise<number[]> {
    const now = new Date().toISOString();
    if (tx.engine === 'postgres' && events.length > 1) {
      const records = events.map((e, n) => ({ n, event_id: e.id, event_type: e.type, body: serializeEnvelope(e), created_at: now }));
      return (await tx.all<{ id: number }>(SQL.insertMany, [JSON.stringify(records)])).map((r) => r.id);
    }
    const ids: number[] = [];
    for (const e of events) ids.push((await tx.value<number>(SQL.insert, [e.id, e.type, serializeEnvelope(e), now]))!);
    return ids;
  }

  pending(limit: number, afterId = 0): Promise<OutboxRow[]> {
    return this.storage.all<OutboxRow>(SQL.pending, [afterId, limit]);
  }

  async markPublished(ids: readonly number[]): Promise<void> {
    if (ids.length > 0) await this.storage.run(SQL.mark, [new Date().toISOString(), JSON.stringify(ids)]);
  }

  async recordFailure(ids: readonly number[], error: string): Promise<void> {
    if (ids.length > 0) await this.storage.run(SQL.fail, [error.slice(0, 1000), JSON.stringify(ids)]);
  }

  async status(): Promise<OutboxStatus> {
    return {
      pending: (await this.storage.value<number>(SQL.countPending))!,
      oldestPendingAt: (await this.storage.value<string>(SQL.oldest)) ?? null,
      lastError: (await this.storage.value<string>(SQL.lastError)) ?? null,
    };
  }
}
