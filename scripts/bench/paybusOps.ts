// What the bench reads from a running paybus the way an operator would: /admin/subscribers and /metrics.
import { randomBytes } from 'node:crypto';

/** An ADMIN_TOKEN for one bench server (it listens on loopback only, for the length of a case). */
export const benchAdminToken = () => randomBytes(24).toString('hex');

interface SubscriberRow {
  subscriber: string;
  kind: 'projection' | 'reaction';
  pending: number;
  deadLetters: number;
}

async function subscribers(port: number, token: string): Promise<{ head: number; items: SubscriberRow[] }> {
  const res = await fetch(`http://127.0.0.1:${port}/admin/subscribers`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`GET /admin/subscribers answered ${res.status}`);
  return (await res.json()) as { head: number; items: SubscriberRow[] };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The counts by type of GET /analytics/summary: what the analytics reaction has counted so far. */
async function countedByType(port: number): Promise<Record<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/analytics/summary`);
  if (!res.ok) throw new Error(`GET /analytics/summary answered ${res.status}`);
  return ((await res.json()) as { byType: Record<string, number> }).byType;
}

/** Whether /admin/subscribers shows every reaction with nothing pending; a dead letter fails the case. */
async function reactionsQuiet(port: number, token: string): Promise<{ quiet: boolean; head: number }> {
  const { head, items } = await subscribers(port, token);
  const reactions = items.filter((s) => s.kind === 'reaction');
  const dead = reactions.filter((s) => s.deadLetters > 0);
  if (dead.length > 0) throw new Error(`dead letters during the run: ${dead.map((s) => `${s.subscriber} ${s.deadLetters}`).join(', ')}`);
  return { quiet: reactions.every((s) => s.pending === 0), head };
}

/**
 * Resolves with the time (performance.now()) at which paybus's reactions to `paid` successful payments (since
 * start, by users without a phone) were done, as paybus itself tells: analytics has counted, for each payment,
 * its payment.success, the bill.paid billing emitted and the notification.sent of its mail; then /admin/subscribers
 * confirms that no reaction (analytics.latency too) has anything pending. The analytics summary is polled often, as
 * it is cheap; /admin/subscribers, which scans the log (tens of ms a call on a long one), only to confirm, and
 * until quiet, at the same head twice, when the first look was not.
 */
export async function drainedAt(port: number, token: string, paid: number, timeoutMs = 600_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  const overdue = () => {
    if (performance.now() > deadline) throw new Error(`paybus on port ${port} did not finish its reactions in ${timeoutMs / 1000} s`);
  };
  for (;;) {
    const counted = await countedByType(port);
    const at = performance.now();
    if (['payment.success', 'bill.paid', 'notification.sent'].every((type) => (counted[type] ?? 0) >= paid)) {
      if ((await reactionsQuiet(port, token)).quiet) return at;
      break;
    }
    overdue();
    await sleep(10);
  }
  for (let previous: { at: number; head: number } | undefined; ; ) {
    const { quiet, head } = await reactionsQuiet(port, token);
    if (quiet && previous?.head === head) return previous.at;
    previous = quiet ? { at: performance.now(), head } : undefined;
    overdue();
    await sleep(100);
  }
}

/** paybus_subscriber_lag_events by subscriber, from GET /metrics (refreshed by paybus at most once a second). */
export async function lagEvents(port: number): Promise<Record<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (!res.ok) throw new Error(`GET /metrics answered ${res.status}`);
  const lag: Record<string, number> = {};
  for (const match of (await res.text()).matchAll(/^paybus_subscriber_lag_events\{subscriber="([^"]+)"\} (\d+)/gm)) lag[match[1]!] = Number(match[2]);
  return lag;
}
