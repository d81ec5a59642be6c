// Turns an audit into a scenario result; the checks every scenario shares.
import type { AuditResult } from './audit.js';
import type { ScenarioResult } from './types.js';

export type Outcome = Omit<ScenarioResult, 'name' | 'seconds'>;

export function outcome(runs: number, a: AuditResult, extraNotes: string[] = [], metrics: ScenarioResult['metrics'] = {}, ok = true): Outcome {
  // An event on the exchange that the store does not hold, or a version gap, is as wrong as a lost one.
  const sound = a.counts.deliveredNotLogged === 0 && a.counts.versionGaps === 0;
  return {
    runs,
    eventsLogged: a.eventsLogged,
    eventsDelivered: a.eventsDelivered,
    lost: a.lost,
    duplicateEffects: a.duplicateEffects,
    doubleCharges: a.doubleCharges,
    notes: [...extraNotes, ...a.notes],
    ok: ok && sound,
    metrics: { ...a.counts, ...metrics },
  };
}

/** One result of several phases: counts added up, each phase's notes and metrics under its name. */
export function combine(phases: Record<string, Outcome>): Outcome {
  const all = Object.entries(phases);
  const sum = (f: (o: Outcome) => number) => all.reduce((n, [, o]) => n + f(o), 0);
  return {
    runs: sum((o) => o.runs),
    eventsLogged: sum((o) => o.eventsLogged),
    eventsDelivered: sum((o) => o.eventsDelivered),
    lost: sum((o) => o.lost),
    duplicateEffects: sum((o) => o.duplicateEffects),
    doubleCharges: sum((o) => o.doubleCharges),
    notes: all.flatMap(([name, o]) => o.notes.map((n) => `${name}: ${n}`)),
    ok: all.every(([, o]) => o.ok),
    metrics: Object.fromEntries(all.flatMap(([name, o]) => Object.entries(o.metrics).map(([k, v]) => [`${name}.${k}`, v]))),
  };
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! * 10) / 10;
}

/** Least-squares slope of y over x. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}
