// Leases: a named job that must run in one process at a time among all those on the database (a memory-mode
// subscriber's runner, the outbox relay, a background job). The holder renews it; when the holder dies, it
// expires and another process takes it over. Expiry is read on the database's clock: replicas' clocks differ.
import type { Migration } from '../storage/migrate.js';
import { databaseNowMs } from '../storage/clock.js';
import { perEngine, type Storage } from '../storage/Storage.js';
import type { Instance } from './Instance.js';

export interface LeaseRow {
  name: string;
  holder: string;
  host: string;
  pid: number;
  /** When the current holder took it (kept across renewals). */
  since: string;
  /** Milliseconds since the epoch, on the database's clock. */
  expiresAt: number;
}

export const leaseMigrations: Migration[] = [
  {
    id: '001-leases',
    sql: `CREATE TABLE leases (
      name TEXT PRIMARY KEY,
      holder TEXT NOT NULL,
      host TEXT NOT NULL,
      pid INTEGER NOT NULL,
      since TEXT NOT NULL,
      expires_at BIGINT NOT NULL
    )`,
  },
];

const SQL = {
  // Takes a free or expired lease, or renews our own; someone else's live lease is left alone (0 rows changed).
  acquire: perEngine(
    (e) => `INSERT INTO leases (name, holder, host, pid, since, expires_at) VALUES (?, ?, ?, ?, ?, ${databaseNowMs(e)} + ?)
      ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, host = excluded.host, pid = excluded.pid,
        since = CASE WHEN leases.holder = excluded.holder THEN leases.since ELSE excluded.since END,
        expires_at = excluded.expires_at
      WHERE leases.holder = excluded.holder OR leases.expires_at < ${databaseNowMs(e)}`,
  ),
  renew: perEngine((e) => `UPDATE leases SET expires_at = ${databaseNowMs(e)} + ? WHERE name = ? AND holder = ?`),
  // For a job held by other means (a lock): the row only says who holds it, for operators.
  record: perEngine(
    (e) => `INSERT INTO leases (name, holder, host, pid, since, expires_at) VALUES (?, ?, ?, ?, ?, ${databaseNowMs(e)} + ?)
      ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, host = excluded.host, pid = excluded.pid,
        since = CASE WHEN leases.holder = excluded.holder THEN leases.since ELSE excluded.since END, expires_at = excluded.expires_at`,
  ),
  // Expired at once rather than deleted: the row still says who held it last.
  release: perEngine((e) => `UPDATE leases SET expires_at = ${databaseNowMs(e)} - 1 WHERE name = ? AND holder = ?`),
  list: `SELECT name, holder, host, pid, since, expires_at AS "expiresAt" FROM leases ORDER BY name`,
  now: perEngine((e) => `SELECT ${databaseNowMs(e)}`),
};

export class Leases {
  constructor(
    private readonly storage: Storage,
    private readonly instance: Instance,
    readonly ttlMs: number,
  ) {}

  /** True when this process holds `name` now (taken, or renewed because it held it already). */
  async tryAcquire(name: string): Promise<boolean> {
    const { id, host, pid } = this.instance;
    return (await this.storage.run(SQL.acquire, [name, id, host, pid, new Date().toISOString(), this.ttlMs])) === 1;
  }

  /** False when the lease was lost meanwhile (expired and taken over): the work it guards must stop. */
  async renew(name: string): Promise<boolean> {
    return (await this.storage.run(SQL.renew, [this.ttlMs, name, this.instance.id])) === 1;
  }

  /** Writes this process as the holder of a job it holds by other means (a lock), whoever the row named before. */
  async record(name: string): Promise<void> {
    const { id, host, pid } = this.instance;
    await this.storage.run(SQL.record, [name, id, host, pid, new Date().toISOString(), this.ttlMs]);
  }

  async release(name: string): Promise<void> {
    await this.storage.run(SQL.release, [name, this.instance.id]);
  }

  async list(): Promise<(LeaseRow & { live: boolean })[]> {
    const [rows, now] = await Promise.all([this.storage.all<LeaseRow>(SQL.list), this.storage.value<number>(SQL.now)]);
    return rows.map((row) => ({ ...row, live: row.expiresAt >= now! }));
  }
}
