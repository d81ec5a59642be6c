// Baseline: better-sqlite3 alone, with the event store's table, indexes and pragmas, inserting the same rows.
import Database from 'better-sqlite3';
import type { EventEnvelope } from '../../../src/events/envelope.js';
import { textFor } from '../../../src/storage/Storage.js';
import { storeMigrations } from '../../../src/store/tables.js';

export function openRawEventTable(file: string) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.exec(storeMigrations.map((m) => textFor(m.sql, 'sqlite')).join(';\n'));
  const insert = db.prepare(
    `INSERT INTO events (id, type, aggregate_type, aggregate_id, version, occurred_at, payload, metadata, recorded_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const row = (e: EventEnvelope, at: string) =>
    insert.run(e.id, e.type, e.aggregateType, e.aggregateId, e.version, e.occurredAt, JSON.stringify(e.payload), JSON.stringify(e.metadata), at);
  const insertMany = db.transaction((events: readonly EventEnvelope[]) => {
    const at = new Date().toISOString();
    for (const e of events) row(e, at);
  });
  return { db, insertMany: (events: readonly EventEnvelope[]) => insertMany.immediate(events) };
}
