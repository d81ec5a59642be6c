// How fast the survivors took over a killed process's work, read from the database: who holds each job and since
// when (the leases table, looked at until every job has moved), and when the reactions handled what the dead one
// left (inbox rows, stamped by the process that handled the event). Every process of a run is on this machine:
// one clock.
import type { InspectedDatabase } from './database.js';
import { sleep } from './types.js';

export interface HeldJob {
  name: string;
  holder: string;
  pid: number;
}

/** A job of the killed process: how long after the kill another process held it (NaN: none did) and which. */
export interface MovedJob {
  name: string;
  takenMs: number;
  by: number | null;
}

export interface LeftOver {
  /** Events committed before the kill that the given reactions handled after it, as (reaction, event) pairs. */
  pairs: number;
  /** From the kill to the first and the last of those handled (NaN when there were none). */
  firstHandledMs: number;
  lastHandledMs: number;
  /** Per reaction: its pairs and the ms to its first one. */
  byReaction: Record<string, { pairs: number; firstMs: number }>;
}

/** The jobs (subscribers, relay, background jobs) the processes with these pids hold now. */
export async function jobsHeldBy(db: InspectedDatabase, pids: readonly number[]): Promise<HeldJob[]> {
  const rows = await db.all<HeldJob>('SELECT name, holder, pid FROM leases ORDER BY name');
  return rows.filter((r) => pids.includes(Number(r.pid)));
}

/** Waits until another process holds every one of these jobs (at most `timeoutMs`); says who took each, when. */
export async function jobsTakenOver(db: InspectedDatabase, killedAt: number, held: readonly HeldJob[], timeoutMs: number): Promise<MovedJob[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await db.all<HeldJob & { since: string }>('SELECT name, holder, pid, since FROM leases');
    const moved = held.map((h) => {
      const now = rows.find((r) => r.name === h.name && r.holder !== h.holder);
      return { name: h.name, takenMs: now ? Date.parse(now.since) - killedAt : Number.NaN, by: now ? Number(now.pid) : null };
    });
    if (moved.every((m) => m.by !== null) || Date.now() > deadline) return moved;
    await sleep(100);
  }
}

/** What the given reactions handled after the kill (and before `until`, the next kill) of what was committed before it. */
export async function leftOver(db: InspectedDatabase, killedAt: number, reactions: readonly string[], until = Number.POSITIVE_INFINITY): Promise<LeftOver> {
  const kill = new Date(killedAt).toISOString();
  // ISO-8601 UTC strings of one format compare as text in time order.
  const rows = await db.all<{ subscriber: string; handled_at: string }>(
    'SELECT i.subscriber, i.handled_at FROM inbox i JOIN events e ON e.id = i.event_id WHERE e.recorded_at < ? AND i.handled_at > ?',
    [kill, kill],
  );
  const left = rows
    .filter((r) => reactions.includes(r.subscriber) && Date.parse(r.handled_at) < until)
    .map((r) => ({ subscriber: r.subscriber, ms: Date.parse(r.handled_at) - killedAt }));
  const byReaction: LeftOver['byReaction'] = {};
  for (const r of left) {
    const entry = (byReaction[r.subscriber] ??= { pairs: 0, firstMs: Number.POSITIVE_INFINITY });
    entry.pairs++;
    entry.firstMs = Math.min(entry.firstMs, r.ms);
  }
  const times = left.map((r) => r.ms);
  return {
    pairs: left.length,
    firstHandledMs: times.length > 0 ? times.reduce((a, b) => Math.min(a, b)) : Number.NaN,
    lastHandledMs: times.length > 0 ? times.reduce((a, b) => Math.max(a, b)) : Number.NaN,
    byReaction,
  };
}

/** One line for the report. */
export function describeTakeover(jobs: readonly MovedJob[], left: LeftOver): string {
  const moved = jobs.map((j) => `${j.name} ${Number.isNaN(j.takenMs) ? 'NOT taken over' : `+${j.takenMs} ms`}`).join(', ');
  const handled =
    left.pairs > 0 ? `first of ${left.pairs} left-over (reaction, event) pairs handled +${left.firstHandledMs} ms, last +${left.lastHandledMs} ms` : 'it left no event unhandled';
  return `${handled}; jobs it held: ${moved || 'none'}`;
}
