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
  occurredAt: string;
  position: number;
  payload: Record<string, unknown>;
}

export interface AuditResult {
  eventsLogged: number;
  eventsDelivered: number;
  lost: number;
  duplicateEffects: number;
  /** Bills charged, or paid, by more than one payment. */
  doubleCharges: number;
  notes: string[];
  /** Every count behind lost, duplicateEffects and doubleCharges. */
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

/** A SIGKILL, ms since the epoch: sent at `at`; by `diedBy` its victims had surely stopped running. */
export interface KillWindow {
  at: number;
  diedBy: number;
}

export interface AuditOptions {
  /** The kills of the run: an SMS sent again across one is a crash's resend, not a double send. */
  kills?: readonly KillWindow[];
}

/**
 * Delivered: seen on the exchange (broker mode), or, in memory mode where nothing crosses a wire, handled by the
 * reaction that takes every event (analytics.counts records each one in the inbox).
 */
async function deliveredIds(d: Deployment): Promise<Set<string>> {
  if (d.env.EVENT_TRANSPORT !== 'memory') return new Set(d.tap.seen.keys());
  return new Set((await d.db.all<{ event_id: string }>("SELECT event_id FROM inbox WHERE subscriber = 'analytics.counts'")).map((r) => r.event_id));
}

async function measure(d: Deployment, base: string, accepted: Accepted | undefined, options: AuditOptions): Promise<AuditResult> {
  const events = await readAllEvents(base, d.headers);
  const ids = new Set(events.map((e) => e.id));
  const aggregates = new Set(events.map((e) => e.aggregateId));
  const byType = (t: string) => events.filter((e) => e.type === t);
  const paidBills = new Set(byType('bill.paid').map((e) => e.payload.billId as string));
  const emailed = new Set(byType('notification.sent').filter((e) => e.payload.channel === 'email').map((e) => e.payload.causationEventId as string));
  const summary = await getJson<{ totalEvents: number }>(base, '/analytics/summary', d.headers);
  const charges = await d.db.all<{ payment_id: string; bill_id: string }>("SELECT payment_id, bill_id FROM payments_simulator_charges WHERE status = 'succeeded'");
  const recorded = new Set(byType('payment.success').map((e) => e.aggregateId));
  const delivered = await deliveredIds(d);
  const wire = d.env.EVENT_TRANSPORT !== 'memory';
  const sms = smsResends(readSms(d), options.kills);

  const c: Record<string, number> = {
    acceptedNotLogged: accepted ? [...accepted.users, ...accepted.bills, ...accepted.payments].filter((id) => !aggregates.has(id)).length : 0,
    loggedNotDelivered: events.filter((e) => !delivered.has(e.id)).length,
    deliveredNotLogged: wire ? [...delivered].filter((id) => !ids.has(id)).length : 0,
    paymentWithoutBillPaid: byType('payment.success').filter((e) => !paidBills.has(e.payload.billId as string)).length,
    eventWithoutEmail: events.filter((e) => TEMPLATE_TYPES.has(e.type) && !emailed.has(e.id)).length,
    analyticsMissing: Math.max(0, events.length - summary.totalEvents),
    // The gateway took the money, but no payment says so: the attempt was never recorded (nor resumed).
    chargedNotRecorded: charges.filter((r) => !recorded.has(r.payment_id)).length,
    pendingOutbox: await d.pendingOutbox(),
    attemptsInFlight: (await d.db.value<number>("SELECT COUNT(*) FROM payments_attempts WHERE state = 'processing'"))!,
    billCreatedTwice: billsCreatedTwice(events).reduce((n, group) => n + group.length - 1, 0),
    billPaidTwice: overCount(byType('bill.paid').map((e) => e.payload.billId as string)),
    // The ledger's key is the payment id (one row per id, whatever repeats it), so a double charge is two ids on a bill.
    billChargedTwice: overCount(charges.map((r) => r.bill_id)),
    billPaymentSucceededTwice: overCount(byType('payment.success').map((e) => e.payload.billId as string)),
    notificationTwice: overCount(byType('notification.sent').map((e) => `${String(e.payload.causationEventId)}/${String(e.payload.channel)}`)),
    analyticsCountedTwice: Math.max(0, summary.totalEvents - events.length),
    smsSentTwice: sms.twice,
    versionGaps: versionGaps(events),
    exchangeRedeliveries: d.tap.duplicates(),
    smsResent: sms.resent,
  };
  const lost = c.acceptedNotLogged! + c.loggedNotDelivered! + c.paymentWithoutBillPaid! + c.eventWithoutEmail! + c.analyticsMissing! + c.chargedNotRecorded!;
  const duplicateEffects = c.billCreatedTwice! + c.billPaidTwice! + c.notificationTwice! + c.analyticsCountedTwice! + c.smsSentTwice!;
  const doubleCharges = c.billChargedTwice! + c.billPaymentSucceededTwice!;
  const quiet = new Set(['exchangeRedeliveries', 'smsResent', ...(wire ? [] : ['pendingOutbox'])]);
  const notes = Object.entries(c)
    .filter(([k, v]) => v > 0 && !quiet.has(k))
    .map(([k, v]) => `${k}=${v}`);
  if (c.exchangeRedeliveries! > 0) notes.push(`${c.exchangeRedeliveries} redelivered on the exchange (deduplicated by messageId, as the contract allows)`);
  if (c.smsResent! > 0) notes.push(`${c.smsResent} SMS handed to the provider again with the same id after a crash (the provider deduplicates by id)`);
  if (!wire && c.pendingOutbox! > 0) notes.push(`${c.pendingOutbox} outbox rows left unmarked by a killed process (memory mode reads the log, not the outbox; marked at the next start)`);
  return { eventsLogged: events.length, eventsDelivered: events.length - c.loggedNotDelivered!, lost, duplicateEffects, doubleCharges, notes, counts: c, events };
}

interface SentSms {
  id: string;
  at: number;
}

function readSms(d: Deployment): SentSms[] {
  if (!fs.existsSync(d.env.SMS_LOG_PATH!)) return [];
  return fs
    .readFileSync(d.env.SMS_LOG_PATH!, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      try {
        const sms = JSON.parse(line) as { id: string; at: string };
        return { id: String(sms.id), at: Date.parse(sms.at) };
      } catch {
        return { id: `torn:${line.length}`, at: Number.NaN }; // a line cut by SIGKILL mid-append
      }
    });
}

/**
 * SMS handed over more than once with one id: a resend when a kill lies between the first and the last send (the
 * dead process sent it, the survivor sent it again), otherwise twice (two live processes sent it). A kill is the
 * window from the signal to the victims' exit: a victim busy on the other core still sends in its first
 * milliseconds, stamped after the moment the signal went. Without kill times, every repeat counts as a resend.
 */
function smsResends(sent: readonly SentSms[], kills: readonly KillWindow[] | undefined): { resent: number; twice: number } {
  const byId = new Map<string, number[]>();
  // A line torn by a kill has no id to compare: it is left out.
  for (const s of sent) if (!Number.isNaN(s.at)) byId.set(s.id, [...(byId.get(s.id) ?? []), s.at]);
  let resent = 0;
  let twice = 0;
  for (const times of byId.values()) {
    if (times.length < 2) continue;
    const [first, last] = [Math.min(...times), Math.max(...times)];
    const acrossKill = !kills || kills.some((k) => first <= k.diedBy && k.at <= last);
    if (acrossKill) resent += times.length - 1;
    else twice += times.length - 1;
  }
  return { resent, twice };
}

/** Each bill of the workload has a description of its own: bills sharing one are one write applied twice. */
export function billsCreatedTwice(events: readonly Envelope[]): Envelope[][] {
  const byDescription = new Map<string, Envelope[]>();
  for (const e of events) {
    const description = String(e.payload.description);
    if (e.type === 'bill.created' && description.startsWith('chaos ')) byDescription.set(description, [...(byDescription.get(description) ?? []), e]);
  }
  return [...byDescription.values()].filter((group) => group.length > 1);
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
export async function audit(d: Deployment, base: string, accepted?: Accepted, timeoutMs = 60_000, options: AuditOptions = {}): Promise<AuditResult> {
  const deadline = Date.now() + timeoutMs;
  // Memory mode: the outbox only feeds this process's bus; a killed replica's unmarked rows wait for a restart.
  const outboxMatters = d.env.EVENT_TRANSPORT !== 'memory';
  let last: AuditResult | undefined;
  for (;;) {
    const now = await measure(d, base, accepted, options);
    const settled = now.lost === 0 && (!outboxMatters || now.counts.pendingOutbox === 0) && now.counts.deliveredNotLogged === 0;
    // Settled twice in a row with the same log: nothing was still in flight between the two looks.
    if (settled && last && last.eventsLogged === now.eventsLogged && last.lost === 0) return now;
    if (Date.now() > deadline) return now;
    last = now;
    await sleep(settled ? 500 : 250);
  }
}
