// What a scenario gets and what it reports.
import type { StorageKind } from './database.js';

export interface ScenarioResult {
  name: string;
  runs: number;
  eventsLogged: number;
  eventsDelivered: number;
  lost: number;
  duplicateEffects: number;
  /** Bills charged, or paid, by more than one payment. */
  doubleCharges: number;
  notes: string[];
  /** False when a check other than lost/duplicates/double charges failed (a 5xx, a leak, a changed table, a missing DLQ entry). */
  ok: boolean;
  /** Measurements behind the notes (recovery times, slopes, counts). */
  metrics: Record<string, number | string | number[]>;
  seconds: number;
}

export interface ScenarioContext {
  quick: boolean;
  /** The engine every deployment of the run uses (`--storage`, SQLite by default). */
  storage: StorageKind;
  /** One progress line on stderr. */
  log(message: string): void;
}

export interface Scenario {
  name: string;
  /** Runs in the full suite only. */
  fullOnly?: boolean;
  run(ctx: ScenarioContext): Promise<Omit<ScenarioResult, 'name' | 'seconds'>>;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const randomInt = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));
