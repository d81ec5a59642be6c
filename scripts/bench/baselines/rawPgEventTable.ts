// Baseline: pg alone, with the event store's PostgreSQL table and indexes, inserting the same rows the way a careful
// engineer would by hand: one transaction per call, all of its rows in one INSERT, a named (prepared) statement.
import pg from 'pg';
import type { EventEnvelope } from '../../../src/events/envelope.js';
import { textFor } from '../../../src/storage/Storage.js';
import { storeMigrations } from '../../../src/store/tables.js';

const COLUMNS = 9;

/** `INSERT … VALUES ($1…$9), ($10…$18), …` for `rows` rows. */
function insertText(rows: number): string {
  const tuples = Array.from({ length: rows }, (_, r) => `(${Array.from({ length: COLUMNS }, (_, c) => `$${r * COLUMNS + c + 1}`).join(', ')})`);
  return `INSERT INTO events (id, type, aggregate_type, aggregate_id, version, occurred_at, payload, metadata, recorded_at) VALUES ${tuples.join(', ')}`;
}

/** `url` names the schema (search_path) the tables are created in; the schema must exist. */
export async function openRawPgEventTable(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  pool.on('error', () => {}); // an idle connection that breaks: the next call reports it
  for (const m of storeMigrations) await pool.query(textFor(m.sql, 'postgres'));
  const statements = new Map<number, { name: string; text: string }>();
  const statement = (rows: number) => {
    let s = statements.get(rows);
    if (!s) statements.set(rows, (s = { name: `raw_insert_${rows}`, text: insertText(rows) }));
    return s;
  };
  return {
    /** One transaction: BEGIN, one INSERT of every row, COMMIT. */
    async insertMany(events: readonly EventEnvelope[]): Promise<void> {
      const at = new Date().toISOString();
      const values: unknown[] = [];
      for (const e of events) values.push(e.id, e.type, e.aggregateType, e.aggregateId, e.version, e.occurredAt, JSON.stringify(e.payload), JSON.stringify(e.metadata), at);
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query({ ...statement(events.length), values });
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
