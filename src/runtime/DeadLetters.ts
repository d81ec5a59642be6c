// Events a subscriber could not handle after its last attempt, kept with the error for an operator.
import { randomUUID } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/openDatabase.js';
import type { EventEnvelope } from '../events/envelope.js';

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

const COLUMNS = `id, subscriber, event_id AS eventId, event_type AS eventType, error, attempts,
  first_failed_at AS firstFailedAt, last_failed_at AS lastFailedAt`;

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class DeadLetters {
  private readonly upsert: Statement;
  private readonly byId: Statement;
  private readonly list: Statement;
  private readonly listBySubscriber: Statement;
  private readonly remove: Statement;
  private readonly bump: Statement;
  private readonly counts: Statement;

  constructor(db: Db) {
    // A redelivered event that fails again updates its dead letter instead of adding a second one.
    this.upsert = db.prepare(
      `INSERT INTO dead_letters (id, subscriber, event_id, event_type, event, error, stack, attempts, first_failed_at, last_failed_at)
       VALUES (@id, @subscriber, @eventId, @eventType, @event, @error, @stack, @attempts, @now, @now)
       ON CONFLICT (subscriber, event_id) DO UPDATE SET error = excluded.error, stack = excluded.stack,
         attempts = attempts + excluded.attempts, last_failed_at = excluded.last_failed_at`,
    );
    this.byId = db.prepare(`SELECT ${COLUMNS}, event, stack FROM dead_letters WHERE id = ?`);
    this.list = db.prepare(`SELECT ${COLUMNS} FROM dead_letters ORDER BY first_failed_at, id LIMIT ? OFFSET ?`);
    this.listBySubscriber = db.prepare(
      `SELECT ${COLUMNS} FROM dead_letters WHERE subscriber = ? ORDER BY first_failed_at, id LIMIT ? OFFSET ?`,
    );
    this.remove = db.prepare('DELETE FROM dead_letters WHERE id = ?');
    this.bump = db.prepare(
      'UPDATE dead_letters SET attempts = attempts + ?, error = ?, stack = ?, last_failed_at = ? WHERE id = ?',
    );
    this.counts = db.prepare('SELECT subscriber, COUNT(*) AS count FROM dead_letters GROUP BY subscriber');
  }

  add(subscriber: string, event: EventEnvelope, error: unknown, attempts: number): void {
    this.upsert.run({
      id: randomUUID(),
      subscriber,
      eventId: event.id,
      eventType: event.type,
      event: JSON.stringify(event),
      error: errorMessage(error).slice(0, 2000),
      stack: error instanceof Error && error.stack ? error.stack.slice(0, 8000) : null,
      attempts,
      now: new Date().toISOString(),
    });
  }

  get(id: string): DeadLetterWithEvent | undefined {
    const row = this.byId.get(id) as (DeadLetter & { event: string; stack: string | null }) | undefined;
    return row && { ...row, event: JSON.parse(row.event) };
  }

  find(options: { subscriber?: string; limit?: number; offset?: number } = {}): DeadLetter[] {
    const limit = options.limit ?? 100;
    const offset = options.offset ?? 0;
    return (options.subscriber ? this.listBySubscriber.all(options.subscriber, limit, offset) : this.list.all(limit, offset)) as DeadLetter[];
  }

  delete(id: string): boolean {
    return this.remove.run(id).changes > 0;
  }

  recordFailedRetry(id: string, error: unknown, attempts: number): void {
    const stack = error instanceof Error && error.stack ? error.stack.slice(0, 8000) : null;
    this.bump.run(attempts, errorMessage(error).slice(0, 2000), stack, new Date().toISOString(), id);
  }

  countBySubscriber(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const row of this.counts.all() as { subscriber: string; count: number }[]) out[row.subscriber] = row.count;
    return out;
  }
}
