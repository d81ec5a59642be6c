// Each subscriber's lag, read at most once a second for everyone who asks (metrics, the dashboard, load shedding).
import type { EventTransport, SubscriberLag } from '../runtime/EventTransport.js';

export class LagMonitor {
  private last: SubscriberLag[] = [];
  private readAt = 0;
  private reading: Promise<SubscriberLag[]> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly transport: Pick<EventTransport, 'lag'>,
    private readonly maxAgeMs = 1000,
  ) {}

  /** The lag as of at most `maxAgeMs` ago; a read that fails keeps the last answer. */
  async read(): Promise<SubscriberLag[]> {
    if (Date.now() - this.readAt < this.maxAgeMs) return this.last;
    this.reading ??= this.refresh().finally(() => (this.reading = undefined));
    return this.reading;
  }

  /** The last answer, without waiting (for a request path): empty until the first read. */
  latest(): SubscriberLag[] {
    return this.last;
  }

  /** Keeps the answer fresh in the background (load shedding reads it on every POST). */
  watch(): void {
    this.timer ??= setInterval(() => void this.read(), this.maxAgeMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async refresh(): Promise<SubscriberLag[]> {
    try {
      this.last = (await this.transport.lag?.()) ?? [];
    } catch {
      // The database or the broker is away: the last known lag stands until they answer again.
    } finally {
      this.readAt = Date.now();
    }
    return this.last;
  }
}
