// What each subscriber has handled: a checkpoint by global position (events from this store, in order)
// and an inbox by event id (events that arrive from elsewhere, possibly twice, possibly out of order).
import type { Sql, Storage, Transaction } from '../storage/Storage.js';

export interface Checkpoint {
  subscriber: string;
  position: number;
  updatedAt: string;
}

const SQL = {
  checkpoint: 'SELECT position FROM subscriber_checkpoints WHERE subscriber = ?',
  // The greater of the two keeps a checkpoint from moving backwards when a late, older event is recorded.
  advance: {
    sqlite: `INSERT INTO subscriber_checkpoints (subscriber, position, updated_at) VALUES (?, ?, ?)
      ON CONFLICT (subscriber) DO UPDATE SET position = MAX(position, excluded.position), updated_at = excluded.updated_at`,
    postgres: `INSERT INTO subscriber_checkpoints (subscriber, position, updated_at) VALUES (?, ?, ?)
      ON CONFLICT (subscriber) DO UPDATE SET position = GREATEST(subscriber_checkpoints.position, excluded.position), updated_at = excluded.updated_at`,
  },
  handled: 'SELECT 1 FROM inbox WHERE subscriber = ? AND event_id = ?',
  claim: 'INSERT INTO inbox (subscriber, event_id, handled_at) VALUES (?, ?, ?) ON CONFLICT (subscriber, event_id) DO NOTHING',
  checkpoints: 'SELECT subscriber, position, updated_at AS "updatedAt" FROM subscriber_checkpoints ORDER BY subscriber',
  clearCheckpoint: 'DELETE FROM subscriber_checkpoints WHERE subscriber = ?',
  clearInbox: 'DELETE FROM inbox WHERE subscriber = ?',
};

export class SubscriberLedger {
  constructor(private readonly storage: Storage) {}

  async checkpoint(subscriber: string, sql: Sql = this.storage): Promise<number> {
    return (await sql.value<number>(SQL.checkpoint, [subscriber])) ?? 0;
  }

  async advance(sql: Sql, subscriber: string, position: number): Promise<void> {
    await sql.run(SQL.advance, [subscriber, position, new Date().toISOString()]);
  }

  async hasHandled(subscriber: string, eventId: string, sql: Sql = this.storage): Promise<boolean> {
    return (await sql.value(SQL.handled, [subscriber, eventId])) !== undefined;
  }

  /**
   * Claims the event for the subscriber, first thing in the transaction that handles it: false when it was handled
   * already. On PostgreSQL a second consumer of the same message waits here until the first commits (then it is
   * false) or rolls back (then it is its turn), so two consumers of one message make one effect.
   */
  async claim(tx: Transaction, subscriber: string, eventId: string): Promise<boolean> {
    return (await tx.run(SQL.claim, [subscriber, eventId, new Date().toISOString()])) === 1;
  }

  checkpoints(): Promise<Checkpoint[]> {
    return this.storage.all<Checkpoint>(SQL.checkpoints);
  }

  /** Forget everything a subscriber handled: the first step of a rebuild. */
  async reset(tx: Transaction, subscriber: string): Promise<void> {
    await tx.run(SQL.clearCheckpoint, [subscriber]);
    await tx.run(SQL.clearInbox, [subscriber]);
  }
}
