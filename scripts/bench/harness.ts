// Bench harness: runs paybus and its raw baseline alternately (A B A B) so machine drift hits both sides.

export interface BenchResult {
  name: string;
  unit: string;
  /** Null only when the case was skipped. */
  ours: number | null;
  baseline: number | null;
  ratio: number | null;
  target: string;
  pass: boolean;
  notes?: string;
  /** Why the case did not run (e.g. RabbitMQ not answering): the row says so instead of a number. */
  skipped?: string;
}

export interface BenchOptions {
  quick: boolean;
  /** A folder the case may use for files; removed after the run. */
  dir: string;
}

export interface BenchCase {
  name: string;
  fullOnly?: boolean;
  /** The rows a case gives when they are more than its own name (`--only` takes any of them). */
  rows?: readonly string[];
  /** Most cases give one row; http.payments adds .drained, the peak RSS row and .core. */
  run(options: BenchOptions): Promise<BenchResult | BenchResult[]>;
}

/** Calls `op` repeatedly for about `ms` milliseconds; returns operations per second. */
export async function throughput(ms: number, op: () => void | PromiseLike<unknown>, opsPerCall = 1): Promise<number> {
  const start = process.hrtime.bigint();
  const until = start + BigInt(ms) * 1_000_000n;
  let calls = 0;
  let now = start;
  while (now < until) {
    for (let i = 0; i < 64; i++) {
      const r = op();
      if (r) await r;
      calls++;
    }
    now = process.hrtime.bigint();
  }
  return (calls * opsPerCall) / (Number(now - start) / 1e9);
}

/** Runs `op` `calls` times and returns operations per second (for work that consumes prepared data). */
export async function rate(calls: number, op: (i: number) => void | PromiseLike<unknown>, opsPerCall = 1): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) {
    const r = op(i);
    if (r) await r;
  }
  return (calls * opsPerCall) / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** Interleaves ours and baseline `rounds` times, each for `ms`, and reports the median rate of each side. */
export async function interleave(
  rounds: number,
  ours: () => Promise<number>,
  baseline: () => Promise<number>,
): Promise<{ ours: number; baseline: number }> {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < rounds; i++) {
    a.push(await ours());
    b.push(await baseline());
  }
  return { ours: median(a), baseline: median(b) };
}

export function median(values: number[]): number {
  const s = [...values].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

export function ratioResult(name: string, unit: string, ours: number, baseline: number, min: number, notes?: string): BenchResult {
  const ratio = ours / baseline;
  return { name, unit, ours, baseline, ratio, target: `ratio >= ${min}`, pass: ratio >= min, notes };
}

export function maxResult(name: string, unit: string, ours: number, max: number, notes?: string): BenchResult {
  return { name, unit, ours, baseline: null, ratio: null, target: `<= ${max} ${unit}`, pass: ours <= max, notes };
}

/** A row shown for the record, without a target (peak RSS). */
export function infoResult(name: string, unit: string, ours: number, notes?: string): BenchResult {
  return { name, unit, ours, baseline: null, ratio: null, target: 'reported', pass: true, notes };
}

/** Two figures and their ratio shown for the record, without a target (what the machine allows, e.g. on 2 cores). */
export function reportedRatio(name: string, unit: string, ours: number, baseline: number, notes?: string): BenchResult {
  return { name, unit, ours, baseline, ratio: ours / baseline, target: 'reported', pass: true, notes };
}

export function skippedResult(name: string, unit: string, target: string, reason: string): BenchResult {
  return { name, unit, ours: null, baseline: null, ratio: null, target, pass: false, skipped: reason, notes: `skipped: ${reason}` };
}

const fmt = (n: number | null) => (n === null ? '—' : n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(n >= 1 ? 2 : 3));

export function table(results: BenchResult[]): string {
  const rows = [['name', 'unit', 'paybus', 'baseline', 'ratio', 'target', 'ok'], ...results.map((r) => [r.name, r.unit, fmt(r.ours), fmt(r.baseline), r.ratio === null ? '—' : r.ratio.toFixed(2), r.target, r.skipped ? 'skipped' : r.pass ? 'yes' : 'NO'])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(rows[0]!), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.slice(1).map(line)].join('\n');
}

/**
 * Calls `fn(i)` for i = 0..count-1 at `perSecond` on average: each timer tick runs the calls that are due,
 * so a late tick catches up instead of lowering the rate.
 */
export async function paced(perSecond: number, count: number, fn: (i: number) => void): Promise<void> {
  const start = performance.now();
  let i = 0;
  while (i < count) {
    const due = Math.min(count, Math.floor(((performance.now() - start) * perSecond) / 1000) + 1);
    while (i < due) fn(i++);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
