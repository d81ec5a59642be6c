// Events a subscriber could not handle after its last attempt, kept with the error for an operator.
import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '../events/envelope.js';
import { errorMessage } from '../errors.js';
import type { HeldLock, Storage } from '../storage/Storage.js';

export interface DeadLetter {
  id: string;
  subscriber: string;
  eventId: string;
  eventType: string;
  error: string;
  attempts: number;
  firstFailedAt: string;
  lastFailedAt: string;
}

export interface DeadLetterWithEvent extends DeadLetter {
  event: EventEnvelope & { position?: number };
  stack: string | null;
}

const COLUMNS = `id, subscriber, event_id AS "eventId", event_type AS "eventType", error, attempts,
  first_failed_at AS "firstFailedAt", last_failed_at AS "lastFailedAt"`;

const SQL = {
  // A redelivered event that fails again updates its dead letter instead of adding a second one.
  upsert: `INSERT INTO dead_letters (id, subscriber, event_id, event_type, event, error, stack, attempts, first_failed_at, last_failed_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (subscriber, event_id) DO UPDATE SET error = excluded.error, stack = excluded.stack,
      attempts = dead_letters.attempts + excluded.attempts, last_failed_at = excluded.last_failed_at`,
  byId: `SELECT ${COLUMNS}, event, stack FROM dead_letters WHERE id = ?`,
  list: `SELECT ${COLUMNS} FROM dead_letters ORDER BY first_failed_at, id LIMIT ? OFFSET ?`,
  listBySubscriber: `SELECT ${COLUMNS} FROM dead_letters WHERE subscriber = ? ORDER BY first_failed_at, id LIMIT ? OFFSET ?`,
  remove: 'DELETE FROM dead_letters WHERE id = ?',
  bump: 'UPDATE dead_letters SET attempts = attempts + ?, error = ?, stack = ?, last_failed_at = ? WHERE id = ?',
  counts: 'SELECT subscriber, COUNT(*) AS count FROM dead_letters GROUP BY subscriber',
};

function stackOf(error: unknown): string | null {
  return error instanceof Error && error.stack ? error.stack.slice(0, 8000) : null;
}

export class DeadLetters {
  constructor(private readonly storage: Storage) {}

  async add(subscriber: string, event: EventEnvelope, error: unknown, attempts: number): Promise<void> {
    const now = new Date().toISOString();
    await this.storage.run(SQL.upsert, [randomUUID(), subscriber, event.id, event.type, JSON.stringify(event), errorMessage(error).slice(0, 2000), stackOf(error), attempts, now, now]);
  }

  async get(id: string): Promise<DeadLetterWithEvent | undefined> {
    const row = await this.storage.one<DeadLetter & { event: string; stack: string | null }>(SQL.byId, [id]);
    return row && { ...row, event: JSON.parse(row.event) };
  }

  find(options: { subscriber?: string; limit?: number; offset?: number } = {}): Promise<DeadLetter[]> {
    const limit = options.limit ?? 100;
    const offset = options.offset ?? 0;
    return options.subscriber ? this.storage.all<DeadLetter>(SQL.listBySubscriber, [options.subscriber, limit, offset]) : this.storage.all<DeadLetter>(SQL.list, [limit, offset]);
  }

  /**
   * The lock a retry of dead letter `id` holds, across every process on the database (a session advisory lock on
   * PostgreSQL): undefined while another retry of it runs, here or on another replica.
   */
  holdForRetry(id: string): Promise<HeldLock | undefined> {
    return this.storage.tryHoldLock(`dead-letter-retry:${id}`);
  }

  async delete(id: string): Promise<boolean> {
    return (await this.storage.run(SQL.remove, [id])) > 0;
  }

  async recordFailedRetry(id: string, error: unknown, attempts: number): Promise<void> {
    await this.storage.run(SQL.bump, [attempts, errorMessage(error).slice(0, 2000), stackOf(error), new Date().toISOString(), id]);
  }

  async countBySubscriber(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const row of await this.storage.all<{ subscriber: string; count: number }>(SQL.counts)) out[row.subscriber] = row.count;
    return out;
  }
}
