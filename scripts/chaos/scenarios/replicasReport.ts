// What the replicas scenario reports beyond the audit: the takeover of each kill, and what it finds out about the
// writes a killed replica left half done (bills made twice, payments whose key answers a stale refusal).
import { type AuditResult, billsCreatedTwice } from '../lib/audit.js';
import type { Deployment } from '../lib/deployment.js';
import { getJson, postJson } from '../lib/http.js';
import { type Outcome, outcome } from '../lib/report.js';
import { describeTakeover, type LeftOver, leftOver, type MovedJob } from '../lib/takeover.js';
import { type Accepted, retrySummary } from '../lib/workload.js';

/** The subscribers whose takeover is timed: reactions, never run inline in a survivor's own commits. */
const REACTIONS = ['billing.payments', 'notifications.send', 'analytics.counts', 'analytics.latency'];

export interface Kill {
  killedAt: number;
  /** When every victim had exited: a victim still runs for a moment after the signal. */
  diedBy: number;
  jobs: MovedJob[];
}

export const accepted = (acc: Accepted) => acc.users.length + acc.bills.length + acc.payments.length;

/**
 * `api`: a live replica to ask again; `lastPayments`: the payment each killed replica answered last (memory mode),
 * whose reactions must all have happened.
 */
export async function report(d: Deployment, a: AuditResult, acc: Accepted, done: readonly Kill[], api: string, lastPayments: readonly string[] = []): Promise<Outcome> {
  const left = await Promise.all(done.map((k, i) => leftOver(d.db, k.killedAt, REACTIONS, done[i + 1]?.killedAt)));
  const stale = await staleKeyedPayments(api, acc);
  // Unanswered, so not lost by the count; but the survivors did not finish the dead one's work, and the bill is blocked.
  const stuck = a.counts.attemptsInFlight!;
  const notes = [
    `${done.length} kills; ${accepted(acc)} writes answered 201; ${acc.retries.length} sent again to a survivor after no answer${acc.retries.length > 0 ? ` (answered ${retrySummary(acc)})` : ''}`,
    ...done.map((k, i) => `kill ${i + 1}: ${describeTakeover(k.jobs, left[i]!)}`),
    ...lastPayments.map((id) => `payment ${id}, answered by the replica just killed: ${effectsOf(a.events, id).text}`),
    ...billsCreatedTwice(a.events).map((group) => twiceNote(group, acc, done)),
    ...stale.map((s) => `Idempotency-Key ${s.key} (POST /payments for bill ${s.billId}) still answers ${s.status} after the bill was paid by payment ${s.paidBy}`),
    ...(stuck > 0 ? [`${stuck} payment attempts a killed replica left in flight were never resumed: their bills answer 409 to every payment`] : []),
    ...(acc.serverErrors > 0 ? [`${acc.serverErrors} writes answered 5xx`] : []),
  ];
  const taken = done.every((k) => k.jobs.every((j) => j.by !== null));
  const ok = acc.serverErrors === 0 && taken && stuck === 0 && lastPayments.every((id) => effectsOf(a.events, id).complete);
  const metrics = { ...takeoverMetrics(done, left), accepted: accepted(acc), retried: acc.retries.length, staleKeyedPayments: stale.length, serverErrors: acc.serverErrors };
  return outcome(done.length, a, notes, metrics, ok);
}

/** Which write made the bills of one description, when against the kills, and whether it was a retry. */
function twiceNote(group: AuditResult['events'], acc: Accepted, done: readonly Kill[]): string {
  const description = String(group[0]!.payload.description);
  const retry = acc.retries.find((r) => (r.body as { description?: string }).description === description);
  const how = retry ? `sent again with Idempotency-Key ${retry.key} after no answer, answered ${retry.answer?.status ?? 'nothing'}` : 'not a retried write';
  const when = (at: number) => {
    const k = done.reduce((best, kill, i) => (Math.abs(kill.killedAt - at) < Math.abs(done[best]!.killedAt - at) ? i : best), 0);
    return `${at - done[k]!.killedAt} ms from kill ${k + 1}`;
  };
  const bills = group.map((e) => `${e.aggregateId} (event ${e.id} at position ${e.position}, ${when(Date.parse(e.occurredAt))})`).join(' and ');
  return `one POST /bills made ${group.length} bills, ${bills}: ${how}`;
}

/**
 * Payments sent again with their key after the first try died with its replica, and refused (409: the dead one's
 * attempt was still in flight). Once all is quiet the same key is sent once more: if the bill was paid meanwhile
 * (the attempt resumed) while the key still answers the refusal, the client never learns its payment went through.
 */
async function staleKeyedPayments(api: string, acc: Accepted): Promise<{ key: string; billId: string; status: number; paidBy: string }[]> {
  const stale = [];
  for (const r of acc.retries.filter((x) => x.path === '/payments' && x.answer?.status === 409)) {
    const billId = (r.body as { billId: string }).billId;
    const again = await postJson(api, '/payments', r.body, { 'idempotency-key': r.key });
    const bill = await getJson<{ status: string; paymentId: string | null }>(api, `/bills/${billId}`);
    if (again.status !== 201 && bill.status === 'paid') stale.push({ key: r.key, billId, status: again.status, paidBy: bill.paymentId ?? '?' });
  }
  return stale;
}

/** The reactions to one payment: its bill paid (when it succeeded) and its email. */
function effectsOf(events: AuditResult['events'], paymentId: string): { complete: boolean; text: string } {
  const payment = events.find((e) => e.aggregateId === paymentId && e.type.startsWith('payment.'));
  if (!payment) return { complete: false, text: 'NOT in the log' };
  const paid = payment.type !== 'payment.success' || events.some((e) => e.type === 'bill.paid' && e.payload.paymentId === paymentId);
  const emailed = events.some((e) => e.type === 'notification.sent' && e.payload.causationEventId === payment.id && e.payload.channel === 'email');
  const text = `${payment.type}; ${payment.type === 'payment.success' ? (paid ? 'bill paid' : 'bill NOT paid') : 'no bill to pay'}; ${emailed ? 'email sent' : 'NO email'}`;
  return { complete: paid && emailed, text };
}

/** Per kill, in order: ms from the kill to each job taken over, and to the first left-over event handled. */
function takeoverMetrics(done: readonly Kill[], left: readonly LeftOver[]): Record<string, number[]> {
  const metrics: Record<string, number[]> = {};
  const add = (key: string, value: number) => (metrics[key] ??= []).push(value);
  done.forEach((k, i) => {
    const l = left[i]!;
    add('leftOverPairs', l.pairs);
    add('firstHandledMs', l.firstHandledMs);
    add('lastHandledMs', l.lastHandledMs);
    for (const j of k.jobs) add(`takenMs:${j.name}`, j.takenMs);
    for (const name of REACTIONS) add(`firstHandledMs:${name}`, l.byReaction[name]?.firstMs ?? Number.NaN);
  });
  return metrics;
}

