// What GET /dashboard/data answers: one read-only snapshot of everything the dashboard draws, and what looks stuck.
import type { StoredEvent } from '../events/envelope.js';
import type { Outbox } from '../store/Outbox.js';
import type { LeaseRow, Leases } from '../runtime/Leases.js';
import type { LagMonitor } from './LagMonitor.js';
import type { LatencySummary } from './LatencyWindow.js';
import type { PaybusMetrics } from './metrics.js';
import type { OpsRepository } from './OpsRepository.js';
import { redactSecrets } from './redact.js';
import { type StatusSources, type SubscriberStatus, subscriberStatuses } from './subscriberStatus.js';
import { type QueueStats, transportStats } from './transportStats.js';

/** An undelivered outbox row or an unmoving subscriber older than this is called stuck. */
export const STUCK_AFTER_SECONDS = 30;
const RECENT_EVENTS = 50;

export interface DashboardDeps extends StatusSources {
  outbox: Outbox;
  transport: unknown;
  /** Whether the transport is ready (GET /ready). */
  ready(): boolean;
  lag: LagMonitor;
  leases: Leases;
  metrics: PaybusMetrics;
  repo: OpsRepository;
  secrets: readonly string[];
  eventTransport: string;
  adminEnabled: boolean;
}

export interface Alert {
  level: 'error' | 'warning';
  message: string;
}

export interface DashboardData {
  now: string;
  adminEnabled: boolean;
  broker: { mode: string; connected: boolean | null; ready: boolean; relayedTotal: number | null; failedDeliveries: number | null };
  /** Cumulative since this process started; the page turns them into rates. */
  published: Record<string, number>;
  retries: Record<string, number>;
  latency: { windowSeconds: number; all: LatencySummary; bySubscriber: Record<string, LatencySummary> };
  outbox: { pending: number; oldestPendingAt: string | null; oldestPendingAgeSeconds: number | null; lastError: string | null };
  queues: QueueStats[];
  /** Each subscriber's status, with `lagEvents`: events of its types committed and not handled yet (the metric's value). */
  subscribers: (SubscriberStatus & { lagEvents: number | null })[];
  deadLetters: { total: number; bySubscriber: Record<string, number> };
  /** Who holds each job one process at a time runs (memory-mode reactions, the relay, jobs); `live` false: expired. */
  leases: (LeaseRow & { live: boolean })[];
  recent: Pick<StoredEvent, 'position' | 'id' | 'type' | 'aggregateType' | 'aggregateId' | 'occurredAt' | 'metadata'>[];
  alerts: Alert[];
}

export async function dashboardData(deps: DashboardDeps): Promise<DashboardData> {
  const now = Date.now();
  const stats = transportStats(deps.transport);
  const status = await deps.outbox.status();
  const lagBySubscriber = new Map((await deps.lag.read()).map((l) => [l.subscriber, l.events]));
  const subscribers = (await subscriberStatuses(deps)).map((s) => ({ ...s, lagEvents: lagBySubscriber.get(s.subscriber) ?? null }));
  const bySubscriber = await deps.deadLetters.countBySubscriber();
  const data: DashboardData = {
    now: new Date(now).toISOString(),
    adminEnabled: deps.adminEnabled,
    broker: {
      mode: stats?.kind ?? deps.eventTransport,
      connected: stats ? stats.connected : null,
      ready: deps.ready(),
      relayedTotal: stats ? stats.relayedTotal : null,
      failedDeliveries: stats ? stats.failedDeliveries : null,
    },
    published: await counterValues(deps.metrics.published, 'type'),
    retries: await counterValues(deps.metrics.retries, 'subscriber'),
    latency: { windowSeconds: 60, ...deps.metrics.latency.summary(now) },
    outbox: {
      pending: status.pending,
      oldestPendingAt: status.oldestPendingAt,
      oldestPendingAgeSeconds: status.oldestPendingAt ? Math.max(0, (now - Date.parse(status.oldestPendingAt)) / 1000) : null,
      lastError: status.lastError && redactSecrets(status.lastError, deps.secrets),
    },
    queues: await deps.metrics.queues(),
    subscribers,
    deadLetters: { total: Object.values(bySubscriber).reduce((a, b) => a + b, 0), bySubscriber },
    leases: await deps.leases.list(),
    recent: await recentEvents(deps),
    alerts: [],
  };
  data.alerts = alertsFor(data, now);
  return data;
}

async function recentEvents(deps: DashboardDeps): Promise<DashboardData['recent']> {
  const after = await deps.repo.positionBeforeLast(RECENT_EVENTS);
  return (await deps.store.readAll({ after, limit: RECENT_EVENTS }))
    .reverse()
    .map(({ position, id, type, aggregateType, aggregateId, occurredAt, metadata }) => ({ position, id, type, aggregateType, aggregateId, occurredAt, metadata }));
}

async function counterValues(counter: { get(): Promise<{ values: { labels: Record<string, unknown>; value: number }[] }> }, label: string) {
  const out: Record<string, number> = {};
  for (const { labels, value } of (await counter.get()).values) out[String(labels[label])] = value;
  return out;
}

/** The answers to "is the broker up, is anything stuck, what failed", as sentences an operator can act on. */
export function alertsFor(data: Pick<DashboardData, 'broker' | 'outbox' | 'subscribers' | 'deadLetters' | 'queues'>, now: number): Alert[] {
  const alerts: Alert[] = [];
  if (data.broker.connected === false) alerts.push({ level: 'error', message: 'RabbitMQ is not connected: events wait in the outbox until it returns' });
  const age = data.outbox.oldestPendingAgeSeconds;
  if (age !== null && age > STUCK_AFTER_SECONDS) {
    alerts.push({ level: 'error', message: `outbox: ${data.outbox.pending} events undelivered, oldest ${Math.round(age)} s${data.outbox.lastError ? ` (last error: ${data.outbox.lastError})` : ''}` });
  }
  for (const s of data.subscribers) {
    const idle = s.checkpointAt ? (now - Date.parse(s.checkpointAt)) / 1000 : Infinity;
    if (s.pending > 0 && idle > STUCK_AFTER_SECONDS) {
      alerts.push({ level: 'warning', message: `${s.subscriber}: ${s.pending}${s.pendingCapped ? '+' : ''} events waiting, no progress for ${Number.isFinite(idle) ? `${Math.round(idle)} s` : 'ever'}` });
    }
  }
  for (const [subscriber, count] of Object.entries(data.deadLetters.bySubscriber)) {
    if (count > 0) alerts.push({ level: 'error', message: `${subscriber}: ${count} dead letter${count === 1 ? '' : 's'} waiting for a retry or a discard` });
  }
  for (const q of data.queues) {
    if (q.consumers === 0) alerts.push({ level: 'warning', message: `queue ${q.queue} has no consumer (${q.messages} messages waiting)` });
  }
  return alerts;
}
