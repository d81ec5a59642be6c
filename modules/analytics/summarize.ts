// Pure analytics arithmetic: the day an event counts for, its latency, percentiles and the summary shape.

export interface LatencySummary {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface AnalyticsSummary {
  totalEvents: number;
  byType: Record<string, number>;
  byDay: Record<string, number>;
  latencyMs: LatencySummary;
}

export interface CountRow {
  type: string;
  day: string;
  count: number;
}

/** The UTC calendar day (YYYY-MM-DD) of an ISO-8601 timestamp. */
export function dayOf(occurredAt: string): string {
  const time = Date.parse(occurredAt);
  if (Number.isNaN(time)) throw new Error(`occurredAt is not a timestamp: ${occurredAt}`);
  return new Date(time).toISOString().slice(0, 10);
}

/**
 * Milliseconds from occurredAt to `handledAt`. Never negative: in broker mode the publisher's clock may run
 * ahead of the handler's, and a negative wait would drag the percentiles below what anyone waited.
 */
export function latencyOf(occurredAt: string, handledAt: number): number {
  return Math.max(0, Math.round(handledAt - Date.parse(occurredAt)));
}

/** Nearest-rank percentile of an ascending list; null for an empty one. */
export function percentile(sortedAscending: readonly number[], p: number): number | null {
  if (sortedAscending.length === 0) return null;
  const rank = Math.ceil((p / 100) * sortedAscending.length);
  return sortedAscending[Math.min(sortedAscending.length, Math.max(1, rank)) - 1]!;
}

/** The summary's percentiles of an ascending list (the route has the database rank them: analyticsRepository). */
export function latencySummary(sortedAscending: readonly number[]): LatencySummary {
  return { p50: percentile(sortedAscending, 50), p95: percentile(sortedAscending, 95), p99: percentile(sortedAscending, 99) };
}

/** Folds (type, day, count) rows and the latency percentiles into the GET /analytics/summary body. */
export function buildSummary(rows: readonly CountRow[], latencyMs: LatencySummary): AnalyticsSummary {
  const byType: Record<string, number> = {};
  const byDay: Record<string, number> = {};
  let totalEvents = 0;
  for (const { type, day, count } of rows) {
    byType[type] = (byType[type] ?? 0) + count;
    byDay[day] = (byDay[day] ?? 0) + count;
    totalEvents += count;
  }
  return { totalEvents, byType: sortedKeys(byType), byDay: sortedKeys(byDay), latencyMs: { ...latencyMs } };
}

function sortedKeys(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
