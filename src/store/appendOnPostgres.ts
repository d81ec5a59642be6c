// An append on PostgreSQL in one round trip before its COMMIT: paybus_append (see tables.ts) takes the append lock,
// sends the notification that wakes other processes, and inserts the rows if every stream is where they follow on.
import type { EventEnvelope, StoredEvent } from '../events/envelope.js';
import type { Transaction } from '../storage/Storage.js';

const APPEND = `SELECT event_id, event_position, stream_id, stream_version FROM paybus_append(?, ?::text[], ?::integer[],
  ?::text[], ?::text[], ?::text[], ?::text[], ?::integer[], ?::text[], ?::text[], ?::text[], ?)`;

/** A version no stream is at: asks paybus_append for the streams' versions without writing. */
const NOWHERE = -1;

interface AppendRow {
  event_id: string | null;
  event_position: number | null;
  stream_id: string | null;
  stream_version: number | null;
}

/** The events newly stored, with their positions; or, when they did not simply follow on, each stream's version. */
export type PostgresAppend = { stored: StoredEvent[] } | { versions: Map<string, number> };

/**
 * Appends `events` if each is the next version of its stream (and the stream is at `expectedVersion`, when given);
 * otherwise writes nothing and returns the streams' versions, read under the lock, which the transaction keeps.
 * `lock` null leaves the append lock out (only a test does).
 */
export async function appendOnPostgres(tx: Transaction, events: readonly EventEnvelope[], expectedVersion: number | undefined, lock: string | null): Promise<PostgresAppend> {
  const at = versionsFollowedOn(events, expectedVersion);
  const rows = await tx.all<AppendRow>(APPEND, [
    lock,
    [...at.keys()],
    [...at.values()],
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

/**
 * The version each stream must be at for `events` to follow on from it: each stream's events one version after
 * another, in the order given, the first of them at `expectedVersion` + 1 when that is given. NOWHERE for every
 * stream when they do not.
 */
function versionsFollowedOn(events: readonly EventEnvelope[], expectedVersion: number | undefined): Map<string, number> {
  const at = new Map<string, number>();
  const next = new Map<string, number>();
  let followsOn = true;
  for (const event of events) {
    const expected = next.get(event.aggregateId);
    if (expected === undefined) at.set(event.aggregateId, event.version - 1);
    else if (event.version !== expected) followsOn = false;
    next.set(event.aggregateId, event.version + 1);
  }
  if (expectedVersion !== undefined && at.values().next().value !== expectedVersion) followsOn = false;
  if (!followsOn) for (const stream of at.keys()) at.set(stream, NOWHERE);
  return at;
}
