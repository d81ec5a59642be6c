// Prometheus metrics of one app: one Registry per app (no global default registry), names as README "Operations" lists them.
import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StoredEvent } from '../events/envelope.js';
import type { AsyncEventProcessor, ProcessorHooks } from '../runtime/AsyncEventProcessor.js';
import type { DeadLetters } from '../runtime/DeadLetters.js';
import type { Outbox } from '../store/Outbox.js';
import type { LagMonitor } from './LagMonitor.js';
import { LatencyWindow } from './LatencyWindow.js';
import { QueueStatsCache, transportStats } from './transportStats.js';

export type { QueueStats, TransportStats, TransportWithStats } from './transportStats.js';

/** Handling takes from milliseconds (inline, memory mode) to minutes (a retried event, a broker backlog). */
const HANDLING_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const HTTP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What the collect-time metrics read; known only once the app's parts exist. */
export interface MetricSources {
  deadLetters: DeadLetters;
  outbox: Outbox;
  processor: AsyncEventProcessor;
  transport: unknown;
  lag: LagMonitor;
}

export class PaybusMetrics {
  readonly registry = new Registry();
  readonly latency = new LatencyWindow();
  readonly published: Counter<'type'>;
  readonly handling: Histogram<'subscriber' | 'type'>;
  readonly retries: Counter<'subscriber'>;
  readonly relayed: Counter;
  readonly ownershipChanges: Counter<'job' | 'change'>;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly queueCache = new QueueStatsCache();
  private sources: MetricSources | undefined;
  /** Events handed to the in-process bus (memory mode), where no relay counts them. */
  private deliveredInProcess = 0;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.published = new Counter({ name: 'paybus_events_published_total', help: 'Events committed to the event store, by type', labelNames: ['type'], registers });
    this.handling = new Histogram({
      name: 'paybus_event_handling_seconds',
      help: 'Time from an event occurring to a subscriber having handled it',
      labelNames: ['subscriber', 'type'],
      buckets: HANDLING_BUCKETS,
      registers,
    });
    this.retries = new Counter({ name: 'paybus_handler_retries_total', help: 'Handler attempts that failed and will be retried', labelNames: ['subscriber'], registers });
    this.relayed = this.relayedCounter();
    this.ownershipChanges = new Counter({
      name: 'paybus_leader_changes_total',
      help: 'Jobs held by one process at a time (the relay, memory-mode subscribers, background jobs) this process took or lost',
      labelNames: ['job', 'change'],
      registers,
    });
    this.httpRequests = new Counter({ name: 'paybus_http_requests_total', help: 'HTTP requests answered, by route pattern and status', labelNames: ['method', 'route', 'status'], registers });
    this.httpDuration = new Histogram({
      name: 'paybus_http_request_duration_seconds',
      help: 'HTTP request duration, by route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_BUCKETS,
      registers,
    });
    this.collectedGauges();
  }

  /** Processor hooks that feed the handling histogram, the latency window and the retry counter. */
  readonly hooks: ProcessorHooks = {
    onHandled: (subscriber, event) => {
      const seconds = Math.max(0, (Date.now() - Date.parse(event.occurredAt)) / 1000);
      if (!Number.isFinite(seconds)) return;
      this.handling.observe({ subscriber, type: event.type }, seconds);
      this.latency.record(subscriber, seconds);
    },
    onRetry: (subscriber) => this.retries.inc({ subscriber }),
  };

  /** For the host: this process took (`held`) or lost a job it must hold alone. */
  readonly ownershipChanged = (job: string, held: boolean): void => {
    this.ownershipChanges.inc({ job, change: held ? 'acquired' : 'lost' });
  };

  /** For ModuleHost.commitListeners: every committed event, once. */
  readonly onCommit = (events: readonly StoredEvent[]): void => {
    for (const event of events) this.published.inc({ type: event.type });
    this.deliveredInProcess += events.length;
  };

  /** Counts and times every request by its route pattern (`/users/:id`), never the raw path, so ids do not explode the label set. */
  readonly httpMiddleware: RequestHandler = (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('close', () => {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : '(unmatched)';
      const labels = { method: req.method, route, status: String(res.statusCode) };
      this.httpRequests.inc(labels);
      this.httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };

  /** Connects the gauges read at scrape time to the app's parts; broker gauges exist only when the transport reports stats. */
  bind(sources: MetricSources): void {
    this.sources = sources;
    if (transportStats(sources.transport)) this.brokerGauges();
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  private relayedCounter(): Counter {
    let counted = 0;
    const self = this;
    return new Counter({
      name: 'paybus_outbox_relayed_total',
      help: 'Outbox rows delivered onward: confirmed by RabbitMQ (broker mode) or handed to the in-process bus (memory mode)',
      registers: [this.registry],
      collect() {
        const stats = transportStats(self.sources?.transport);
        const total = stats ? stats.relayedTotal : self.deliveredInProcess;
        // A counter only grows: add what the source counted since the last scrape.
        if (total > counted) this.inc(total - counted);
        counted = Math.max(counted, total);
      },
    });
  }

  private collectedGauges(): void {
    const self = this;
    const registers = [this.registry];
    new Gauge({
      name: 'paybus_dead_letters',
      help: 'Dead letters waiting for an operator, by subscriber',
      labelNames: ['subscriber'],
      registers,
      async collect() {
        if (!self.sources) return;
        const counts = await self.sources.deadLetters.countBySubscriber();
        this.reset();
        // Every subscriber of this process shows, with 0 when it has none: a flat line reads better than a gap.
        for (const name of self.sources.processor.subscriberNames()) this.set({ subscriber: name }, 0);
        for (const [subscriber, count] of Object.entries(counts)) this.set({ subscriber }, count);
      },
    });
    new Gauge({
      name: 'paybus_subscriber_lag_events',
      help: 'Events committed that a subscriber has not handled yet (broker mode: its module queue, ready and in hand)',
      labelNames: ['subscriber'],
      registers,
      async collect() {
        if (!self.sources) return;
        const lag = await self.sources.lag.read();
        this.reset();
        for (const { subscriber, events } of lag) this.set({ subscriber }, events);
      },
    });
    new Gauge({
      name: 'paybus_outbox_pending',
      help: 'Outbox rows not yet delivered',
      registers,
      async collect() {
        if (self.sources) this.set((await self.sources.outbox.status()).pending);
      },
    });
    new Gauge({
      name: 'paybus_outbox_oldest_pending_seconds',
      help: 'Age of the oldest undelivered outbox row (0 when none): a growing value means delivery is stuck',
      registers,
      async collect() {
        const oldest = self.sources && (await self.sources.outbox.status()).oldestPendingAt;
        this.set(oldest ? Math.max(0, (Date.now() - Date.parse(oldest)) / 1000) : 0);
      },
    });
  }

  private brokerGauges(): void {
    const self = this;
    const registers = [this.registry];
    const stats = () => transportStats(self.sources?.transport);
    new Gauge({
      name: 'paybus_broker_connected',
      help: '1 while the RabbitMQ connection is up, else 0',
      registers,
      collect() {
        this.set(stats()?.connected ? 1 : 0);
      },
    });
    const queueGauge = (name: string, help: string, pick: (q: { messages: number; consumers: number }) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['queue'],
        registers,
        async collect() {
          const s = stats();
          if (!s) return;
          const queues = await self.queueCache.read(s);
          this.reset();
          for (const q of queues) this.set({ queue: q.queue }, pick(q));
        },
      });
    queueGauge('paybus_queue_messages', 'Messages ready in each module queue, read from the broker', (q) => q.messages);
    queueGauge('paybus_queue_consumers', 'Consumers on each module queue, read from the broker', (q) => q.consumers);
    let failed = 0;
    new Counter({
      name: 'paybus_broker_failed_deliveries_total',
      help: 'Deliveries rejected to the dead-letter exchange',
      registers,
      collect() {
        const total = stats()?.failedDeliveries ?? 0;
        if (total > failed) this.inc(total - failed);
        failed = Math.max(failed, total);
      },
    });
  }

  /** Queue stats through the same cache the gauges use (the dashboard polls more often than Prometheus scrapes). */
  async queues() {
    const s = transportStats(this.sources?.transport);
    return s ? this.queueCache.read(s) : [];
  }
}

/** Runs every given hook set: the metrics' and a caller's own (tests, tools). */
export function combineHooks(...sets: (ProcessorHooks | undefined)[]): ProcessorHooks {
  const all = sets.filter((s): s is ProcessorHooks => s !== undefined);
  return {
    onRetry: (...args) => all.forEach((h) => h.onRetry?.(...args)),
    onHandled: (...args) => all.forEach((h) => h.onHandled?.(...args)),
    onDeadLetter: (...args) => all.forEach((h) => h.onDeadLetter?.(...args)),
  };
}
