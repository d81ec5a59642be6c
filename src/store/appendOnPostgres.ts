// An append on PostgreSQL in one round trip before its COMMIT: paybus_append (see tables.ts) takes the append lock,
// sends the notification that wakes other processes, checks the versions and inserts the rows.
import type { EventEnvelope, StoredEvent } from '../events/envelope.js';
import type { Transaction } from '../storage/Storage.js';

const APPEND = `SELECT event_id, event_position, stream_id, stream_version
  FROM paybus_append(?, ?::integer, ?::text[], ?::text[], ?::text[], ?::text[], ?::integer[], ?::text[], ?::text[], ?::text[], ?)`;

interface AppendRow {
  event_id: string | null;
  event_position: number | null;
  stream_id: string | null;
  stream_version: number | null;
}

/** The events newly stored, with their positions; or, when the append was not the plain case, each stream's version. */
export type PostgresAppend = { stored: StoredEvent[] } | { versions: Map<string, number> };

/**
 * Appends `events` if each is the next version of its stream (and the stream is at `expectedVersion`, when given);
 * otherwise writes nothing and returns the streams' versions, read under the lock, which the transaction keeps.
 * `lock` null leaves the append lock out (only a test does).
 */
export async function appendOnPostgres(tx: Transaction, events: readonly EventEnvelope[], expectedVersion: number | undefined, lock: string | null): Promise<PostgresAppend> {
  const rows = await tx.all<AppendRow>(APPEND, [
    lock,
    expectedVersion ?? null,
    events.map((e) => e.id),
    events.map((e) => e.type),
    events.map((e) => e.aggregateType),
    events.map((e) => e.aggregateId),
    events.map((e) => e.version),
    events.map((e) => e.occurredAt),
    events.map((e) => JSON.stringify(e.payload)),
    events.map((e) => JSON.stringify(e.metadata)),
    new Date().toISOString(),
  ]);
  if (rows.length > 0 && rows[0]!.stream_id !== null) return { versions: new Map(rows.map((r) => [r.stream_id!, r.stream_version!])) };
  const positions = new Map(rows.map((r) => [r.event_id!, r.event_position!]));
  const stored: StoredEvent[] = [];
  for (const event of events) {
    const position = positions.get(event.id);
    // undefined: the same id is stored already.
    if (position !== undefined) stored.push({ ...event, position });
  }
  return { stored };
}
