// Read-only queries the operations views need over the store and the subscribers' records.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db/openDatabase.js';

export class OpsRepository {
  private readonly unhandled: Statement;
  private readonly recentFrom: Statement;

  constructor(db: Db) {
    // Events after a checkpoint that the subscriber has neither recorded nor dead-lettered, by type (the caller
    // matches its patterns); the inner LIMIT bounds the scan for a subscriber far behind.
    this.unhandled = db.prepare(
      `SELECT e.type AS type, COUNT(*) AS count
       FROM (SELECT id, type FROM events WHERE position > @after ORDER BY position LIMIT @scan) e
       WHERE NOT EXISTS (SELECT 1 FROM inbox i WHERE i.subscriber = @subscriber AND i.event_id = e.id)
         AND NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.subscriber = @subscriber AND d.event_id = e.id)
       GROUP BY e.type`,
    );
    this.recentFrom = db.prepare('SELECT MIN(position) FROM (SELECT position FROM events ORDER BY position DESC LIMIT ?)').pluck();
  }

  unhandledByType(subscriber: string, after: number, scan: number): { type: string; count: number }[] {
    return this.unhandled.all({ subscriber, after, scan }) as { type: string; count: number }[];
  }

  /** The position before the last `count` events: read on from it to get them in order. */
  positionBeforeLast(count: number): number {
    const first = this.recentFrom.get(count) as number | null;
    return first === null ? 0 : first - 1;
  }
}
