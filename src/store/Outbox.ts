// Outbox rows: written in the same transaction as the events they carry, marked published only after delivery.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/openDatabase.js';
import type { StoredEvent } from '../events/envelope.js';

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

export class Outbox {
  private readonly insert: Statement;
  private readonly pendingRows: Statement;
  private readonly markRange: Statement;
  private readonly markOne: Statement;
  private readonly failRange: Statement;
  private readonly countPending: Statement;
  private readonly oldest: Statement;
  private readonly lastErr: Statement;

  constructor(db: Db) {
    this.insert = db.prepare('INSERT INTO outbox (event_id, event_type, body, created_at) VALUES (?, ?, ?, ?)');
    this.pendingRows = db.prepare(
      `SELECT id, event_id AS eventId, event_type AS eventType, body, created_at AS createdAt, attempts
       FROM outbox WHERE published_at IS NULL AND id > ? ORDER BY id LIMIT ?`,
    );
    this.markRange = db.prepare('UPDATE outbox SET published_at = ? WHERE id >= ? AND id <= ? AND published_at IS NULL');
    this.markOne = db.prepare('UPDATE outbox SET published_at = ? WHERE id = ?');
    this.failRange = db.prepare(
      'UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id >= ? AND id <= ? AND published_at IS NULL',
    );
    this.countPending = db.prepare('SELECT COUNT(*) FROM outbox WHERE published_at IS NULL').pluck();
    this.oldest = db.prepare('SELECT created_at FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT 1').pluck();
    this.lastErr = db.prepare('SELECT last_error FROM outbox WHERE last_error IS NOT NULL ORDER BY id DESC LIMIT 1').pluck();
  }

  /** Must run inside the transaction that appended the events. Returns the outbox ids, in order. */
  add(events: readonly StoredEvent[]): number[] {
    const now = new Date().toISOString();
    return events.map((e) => Number(this.insert.run(e.id, e.type, serializeEnvelope(e), now).lastInsertRowid));
  }

  pending(limit: number, afterId = 0): OutboxRow[] {
    return this.pendingRows.all(afterId, limit) as OutboxRow[];
  }

  markPublishedRange(firstId: number, lastId: number): void {
    this.markRange.run(new Date().toISOString(), firstId, lastId);
  }

  markPublished(ids: readonly number[]): void {
    const now = new Date().toISOString();
    for (const id of ids) this.markOne.run(now, id);
  }

  recordFailure(firstId: number, lastId: number, error: string): void {
    this.failRange.run(error.slice(0, 1000), firstId, lastId);
  }

  status(): OutboxStatus {
    return {
      pending: this.countPending.get() as number,
      oldestPendingAt: (this.oldest.get() as string | undefined) ?? null,
      lastError: (this.lastErr.get() as string | undefined) ?? null,
    };
  }
}
