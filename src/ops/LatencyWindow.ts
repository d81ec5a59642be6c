// Recent handling latencies kept in memory, so the dashboard shows p50/p99 of the last minute rather than since start.

interface Sample {
  at: number;
  seconds: number;
  subscriber: string;
}

export interface LatencySummary {
  count: number;
  p50: number | null;
  p99: number | null;
}

export class LatencyWindow {
  private readonly samples: Sample[] = [];
  private next = 0;

  constructor(
    private readonly capacity = 4096,
    private readonly windowMs = 60_000,
  ) {}

  record(subscriber: string, seconds: number, at = Date.now()): void {
    const sample = { at, seconds, subscriber };
    // A ring: the oldest sample gives way once the buffer is full.
    if (this.samples.length < this.capacity) this.samples.push(sample);
    else this.samples[this.next] = sample;
    this.next = (this.next + 1) % this.capacity;
  }

  summary(now = Date.now()): { all: LatencySummary; bySubscriber: Record<string, LatencySummary> } {
    const recent = this.samples.filter((s) => now - s.at <= this.windowMs);
    const bySubscriber: Record<string, LatencySummary> = {};
    for (const name of new Set(recent.map((s) => s.subscriber))) {
      bySubscriber[name] = summarize(recent.filter((s) => s.subscriber === name).map((s) => s.seconds));
    }
    return { all: summarize(recent.map((s) => s.seconds)), bySubscriber };
  }
}

export function summarize(values: number[]): LatencySummary {
  if (values.length === 0) return { count: 0, p50: null, p99: null };
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) };
}

/** Nearest-rank quantile of sorted values. */
export function quantile(sorted: readonly number[], q: number): number {
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1]!;
}
