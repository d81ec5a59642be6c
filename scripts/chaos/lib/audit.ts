// The three sets: events in the store, events seen on the exchange, and effects; waits for them to agree, then counts.
import fs from 'node:fs';
import type { Deployment } from './deployment.js';
import { getJson } from './http.js';
import { sleep } from './types.js';
import type { Accepted } from './workload.js';

interface Envelope {
  id: string;
  type: string;
  aggregateId: string;
  version: number;
  payload: Record<string, unknown>;
}

export interface AuditResult {
  eventsLogged: number;
  eventsDelivered: number;
  lost: number;
  duplicateEffects: number;
  notes: string[];
  /** Every count behind lost and duplicateEffects. */
  counts: Record<string, number>;
  events: Envelope[];
}

const TEMPLATE_TYPES = new Set(['bill.created', 'payment.success', 'payment.failed']);

/** `headers`: what the deployment's callers send (the Authorization of a deployment with auth on). */
export async function readAllEvents(base: string, headers: Record<string, string> = {}): Promise<Envelope[]> {
  const all: Envelope[] = [];
  let after = 0;
  for (let page = 0; page < 10_000; page++) {
    const { items, nextAfter } = await getJson<{ items: Envelope[]; nextAfter: number }>(base, `/events?after=${after}&limit=1000`, headers);
    all.push(...items);
    if (items.length < 1000) break;
    after = nextAfter;
  }
  return all;
}

function overCount<K>(keys: Iterable<K>): number {
  const seen = new Map<K, number>();
  for (const k of keys) seen.set(k, (seen.get(k) ?? 0) + 1);
  let extra = 0;
  for (const c of seen.values()) extra += c - 1;
  return extra;
}

async function measure(d: Deployment, base: string, accepted: Accepted | undefined): Promise<AuditResult> {
  const events = await readAllEvents(base, d.headers);
  const ids = new Set(events.map((e) => e.id));
  const aggregates = new Set(events.map((e) => e.aggregateId));
  const byType = (t: string) => events.filter((e) => e.type === t);
  const paidBills = new Set(byType('bill.paid').map((e) => e.payload.billId as string));
  const emailed = new Set(byType('notification.sent').filter((e) => e.payload.channel === 'email').map((e) => e.payload.causationEventId as string));
  const summary = await getJson<{ totalEvents: number }>(base, '/analytics/summary', d.headers);
  const charges = (await d.db.all<{ bill_id: string }>("SELECT bill_id FROM payments_simulator_charges WHERE status = 'succeeded'")).map((r) => r.bill_id);
  const smsIds = readSmsIds(d);

  const c: Record<string, number> = {
    acceptedNotLogged: accepted ? [...accepted.users, ...accepted.bills, ...accepted.payments].filter((id) => !aggregates.has(id)).length : 0,
    loggedNotDelivered: events.filter((e) => !d.tap.seen.has(e.id)).length,
    deliveredNotLogged: [...d.tap.seen.keys()].filter((id) => !ids.has(id)).length,
    paymentWithoutBillPaid: byType('payment.success').filter((e) => !paidBills.has(e.payload.billId as string)).length,
    eventWithoutEmail: events.filter((e) => TEMPLATE_TYPES.has(e.type) && !emailed.has(e.id)).length,
    analyticsMissing: Math.max(0, events.length - summary.totalEvents),
    pendingOutbox: await d.pendingOutbox(),
    billPaidTwice: overCount(byType('bill.paid').map((e) => e.payload.billId as string)),
    billChargedTwice: overCount(charges),
    notificationTwice: overCount(byType('notification.sent').map((e) => `${String(e.payload.causationEventId)}/${String(e.payload.channel)}`)),
    analyticsCountedTwice: Math.max(0, summary.totalEvents - events.length),
    versionGaps: versionGaps(events),
    exchangeRedeliveries: d.tap.duplicates(),
    smsResent: overCount(smsIds),
  };
  const lost = c.acceptedNotLogged! + c.loggedNotDelivered! + c.paymentWithoutBillPaid! + c.eventWithoutEmail! + c.analyticsMissing!;
  const duplicateEffects = c.billPaidTwice! + c.billChargedTwice! + c.notificationTwice! + c.analyticsCountedTwice!;
  const notes = Object.entries(c)
    .filter(([k, v]) => v > 0 && k !== 'exchangeRedeliveries' && k !== 'smsResent')
    .map(([k, v]) => `${k}=${v}`);
  if (c.exchangeRedeliveries! > 0) notes.push(`${c.exchangeRedeliveries} redelivered on the exchange (deduplicated by messageId, as the contract allows)`);
  if (c.smsResent! > 0) notes.push(`${c.smsResent} SMS handed to the provider again with the same id after a crash (the provider deduplicates by id)`);
  return { eventsLogged: events.length, eventsDelivered: events.length - c.loggedNotDelivered!, lost, duplicateEffects, notes, counts: c, events };
}

function readSmsIds(d: Deployment): string[] {
  if (!fs.existsSync(d.env.SMS_LOG_PATH!)) return [];
  return fs
    .readFileSync(d.env.SMS_LOG_PATH!, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      try {
        return String((JSON.parse(line) as { id: string }).id);
      } catch {
        return `torn:${line.length}`; // a line cut by SIGKILL mid-append
      }
    });
}

/** Per aggregate, versions must run 1..n: a gap would be a lost update. */
export function versionGaps(events: readonly Envelope[]): number {
  const versions = new Map<string, number[]>();
  for (const e of events) versions.set(e.aggregateId, [...(versions.get(e.aggregateId) ?? []), e.version]);
  let gaps = 0;
  for (const list of versions.values()) list.sort((a, b) => a - b).forEach((v, i) => (gaps += v === i + 1 ? 0 : 1));
  return gaps;
}

/**
 * Polls until nothing is pending and the sets agree (or stop changing), at most `timeoutMs`; then reports.
 * What still differs at the deadline is lost as far as the report is concerned.
 */
export async function audit(d: Deployment, base: string, accepted?: Accepted, timeoutMs = 60_000): Promise<AuditResult> {
  const deadline = Date.now() + timeoutMs;
  let last: AuditResult | undefined;
  for (;;) {
    const now = await measure(d, base, accepted);
    const settled = now.lost === 0 && now.counts.pendingOutbox === 0 && now.counts.deliveredNotLogged === 0;
    // Settled twice in a row with the same log: nothing was still in flight between the two looks.
    if (settled && last && last.eventsLogged === now.eventsLogged && last.lost === 0) return now;
    if (Date.now() > deadline) return now;
    last = now;
    await sleep(settled ? 500 : 250);
  }
}
