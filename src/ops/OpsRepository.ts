// Read-only queries the operations views need over the store and the subscribers' records.
import type { Sql } from '../storage/Storage.js';

const SQL = {
  // Events after a checkpoint that the subscriber has neither recorded nor dead-lettered, by type (the caller
  // matches its patterns); the inner LIMIT bounds the scan for a subscriber far behind.
  unhandled: `SELECT e.type AS type, COUNT(*) AS count
    FROM (SELECT id, type FROM events WHERE position > ? ORDER BY position LIMIT ?) e
    WHERE NOT EXISTS (SELECT 1 FROM inbox i WHERE i.subscriber = ? AND i.event_id = e.id)
      AND NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.subscriber = ? AND d.event_id = e.id)
    GROUP BY e.type`,
  recentFrom: 'SELECT MIN(position) FROM (SELECT position FROM events ORDER BY position DESC LIMIT ?) recent',
};

export class OpsRepository {
  constructor(private readonly db: Sql) {}

  unhandledByType(subscriber: string, after: number, scan: number): Promise<{ type: string; count: number }[]> {
    return this.db.all<{ type: string; count: number }>(SQL.unhandled, [after, scan, subscriber, subscriber]);
  }

  /** The position before the last `count` events: read on from it to get them in order. */
  async positionBeforeLast(count: number): Promise<number> {
    const first = await this.db.value<number | null>(SQL.recentFrom, [count]);
    return first === null || first === undefined ? 0 : first - 1;
  }
}
