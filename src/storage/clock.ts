// The database's clock as SQL: what leases and owners compare their expiries against. Replicas' own clocks differ;
// every process on one database reads the same one.
import type { Engine } from './Storage.js';

const NOW_MS: Readonly<Record<Engine, string>> = {
  sqlite: "CAST(unixepoch('subsec') * 1000 AS INTEGER)",
  postgres: '(extract(epoch from clock_timestamp()) * 1000)::bigint',
};

/** An SQL expression: milliseconds since the epoch, now, on the database's clock (an integer on both engines). */
export function databaseNowMs(engine: Engine): string {
  return NOW_MS[engine];
}
