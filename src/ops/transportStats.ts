// What a transport may report about its broker. Duck-typed: a transport with a `stats()` method is measured.

export interface QueueStats {
  queue: string;
  /** Messages ready in the queue (not yet delivered or unacknowledged), as `checkQueue` reports them. */
  messages: number;
  consumers: number;
}

export interface TransportStats {
  /** The transport's name for the dashboard, e.g. "rabbitmq". */
  kind?: string;
  connected: boolean;
  /** Outbox rows the relay has published and the broker confirmed, since the process started. */
  relayedTotal: number;
  /** Deliveries a consumer rejected to the dead-letter exchange, since the process started. */
  failedDeliveries: number;
  /** The module queues, read from the broker (passive declare; no management plugin). May throw while it is away. */
  queues(): Promise<QueueStats[]>;
}

export interface TransportWithStats {
  stats(): TransportStats;
}

export function transportStats(transport: unknown): TransportStats | undefined {
  const candidate = transport as Partial<TransportWithStats> | undefined;
  return typeof candidate?.stats === 'function' ? candidate.stats() : undefined;
}

/** Reads queue stats at most every `maxAgeMs`; a failed read keeps the last answer, so one slow scrape does not blank a chart. */
export class QueueStatsCache {
  private last: QueueStats[] = [];
  private readAt = 0;
  private reading: Promise<QueueStats[]> | undefined;

  constructor(private readonly maxAgeMs = 2000, private readonly timeoutMs = 1500) {}

  async read(stats: TransportStats): Promise<QueueStats[]> {
    if (Date.now() - this.readAt < this.maxAgeMs) return this.last;
    this.reading ??= this.refresh(stats).finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async refresh(stats: TransportStats): Promise<QueueStats[]> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('queue stats timed out')), this.timeoutMs);
    });
    try {
      this.last = await Promise.race([stats.queues(), timeout]);
    } catch {
      // The broker is away: paybus_broker_connected says so; the queue gauges keep their last known values.
    } finally {
      clearTimeout(timer);
      this.readAt = Date.now();
    }
    return this.last;
  }
}
