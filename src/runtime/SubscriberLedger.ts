// What each subscriber has handled: a checkpoint by global position (events from this store, in order)
// and an inbox by event id (events that arrive from elsewhere, possibly twice, possibly out of order).
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/openDatabase.js';

export class SubscriberLedger {
  private readonly getCheckpoint: Statement;
  private readonly setCheckpoint: Statement;
  private readonly inInbox: Statement;
  private readonly addInbox: Statement;
  private readonly allCheckpoints: Statement;
  private readonly clear: Statement;
  private readonly clearInbox: Statement;

  constructor(db: Db) {
    this.getCheckpoint = db.prepare('SELECT position FROM subscriber_checkpoints WHERE subscriber = ?').pluck();
    // MAX keeps the checkpoint from moving backwards if a late, older event is recorded.
    this.setCheckpoint = db.prepare(
      `INSERT INTO subscriber_checkpoints (subscriber, position, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (subscriber) DO UPDATE SET position = MAX(position, excluded.position), updated_at = excluded.updated_at`,
    );
    this.inInbox = db.prepare('SELECT 1 FROM inbox WHERE subscriber = ? AND event_id = ?').pluck();
    this.addInbox = db.prepare('INSERT OR IGNORE INTO inbox (subscriber, event_id, handled_at) VALUES (?, ?, ?)');
    this.allCheckpoints = db.prepare('SELECT subscriber, position, updated_at AS updatedAt FROM subscriber_checkpoints ORDER BY subscriber');
    this.clear = db.prepare('DELETE FROM subscriber_checkpoints WHERE subscriber = ?');
    this.clearInbox = db.prepare('DELETE FROM inbox WHERE subscriber = ?');
  }

  checkpoint(subscriber: string): number {
    return (this.getCheckpoint.get(subscriber) as number | undefined) ?? 0;
  }

  advance(subscriber: string, position: number): void {
    this.setCheckpoint.run(subscriber, position, new Date().toISOString());
  }

  hasHandled(subscriber: string, eventId: string): boolean {
    return this.inInbox.get(subscriber, eventId) !== undefined;
  }

  recordInbox(subscriber: string, eventId: string): void {
    this.addInbox.run(subscriber, eventId, new Date().toISOString());
  }

  checkpoints(): { subscriber: string; position: number; updatedAt: string }[] {
    return this.allCheckpoints.all() as { subscriber: string; position: number; updatedAt: string }[];
  }

  /** Forget everything a subscriber handled: the first step of a rebuild. */
  reset(subscriber: string): void {
    this.clear.run(subscriber);
    this.clearInbox.run(subscriber);
  }
}
