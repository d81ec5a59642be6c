// The idempotency_keys table: who answers a key (an owner with a lease on the database clock) and, once answered,
// the response every repeat gets. Built once by the composition root and shared by every route that guards keys.
import type { Migration } from '../storage/migrate.js';
import { databaseNowMs } from '../storage/clock.js';
import { perEngine, type Storage, type Transaction } from '../storage/Storage.js';

/** How long a key is remembered; older keys are pruned. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export const idempotencyMigrations: Migration[] = [
  {
    id: '001-idempotency-keys',
    sql: `
      CREATE TABLE idempotency_keys (
        key TEXT PRIMARY KEY,
        request_hash TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('running', 'done')),
        owner TEXT NOT NULL,
        status INTEGER,
        content_type TEXT,
        location TEXT,
        body TEXT,
        created_at TEXT NOT NULL
      );
      CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
    `,
  },
  {
    // The owner of a running key renews this (ms on the database's clock) while it answers; another process takes the
    // key over only once it expired. Keys from before have none: their owner is taken for gone.
    id: '002-key-lease',
    sql: 'ALTER TABLE idempotency_keys ADD COLUMN lease_expires_at BIGINT',
  },
];

export interface StoredResponse {
  status: number;
  contentType: string | null;
  location: string | null;
  body: string;
}

export type Claim = { kind: 'first' } | { kind: 'replay'; response: StoredResponse } | { kind: 'mismatch' } | { kind: 'running' };

interface KeyRow extends StoredResponse {
  hash: string;
  state: 'running' | 'done';
  /** 1 while the owner's lease runs. */
  live: number;
}

const EXPIRED = (e: 'sqlite' | 'postgres') => `(lease_expires_at IS NULL OR lease_expires_at < ${databaseNowMs(e)})`;

const SQL = {
  get: perEngine(
    (e) => `SELECT request_hash AS hash, state, status, content_type AS "contentType", location, body, CASE WHEN ${EXPIRED(e)} THEN 0 ELSE 1 END AS live
      FROM idempotency_keys WHERE key = ?`,
  ),
  insert: perEngine(
    (e) => `INSERT INTO idempotency_keys (key, request_hash, state, owner, created_at, lease_expires_at) VALUES (?, ?, 'running', ?, ?, ${databaseNowMs(e)} + ?)
      ON CONFLICT (key) DO NOTHING`,
  ),
  // Conditional on the expired lease in the statement itself: of two processes taking one key over, one changes the row.
  takeOver: perEngine(
    (e) => `UPDATE idempotency_keys SET owner = ?, created_at = ?, lease_expires_at = ${databaseNowMs(e)} + ? WHERE key = ? AND state = 'running' AND ${EXPIRED(e)}`,
  ),
  renew: perEngine((e) => `UPDATE idempotency_keys SET lease_expires_at = ${databaseNowMs(e)} + ? WHERE key = ? AND owner = ? AND state = 'running'`),
  complete: `UPDATE idempotency_keys SET state = 'done', status = ?, content_type = ?, location = ?, body = ? WHERE key = ? AND owner = ? AND state = 'running'`,
  remove: `DELETE FROM idempotency_keys WHERE key = ? AND owner = ? AND state = 'running'`,
  prune: 'DELETE FROM idempotency_keys WHERE created_at < ?',
};

export class IdempotencyKeys {
  /**
   * @param owner this process (its Instance id), written on the keys it answers
   * @param leaseMs how long a key stays its owner's without a renewal (LEASE_TTL_MS); renewed every third of it
   */
  constructor(
    private readonly storage: Storage,
    private readonly owner: string,
    readonly leaseMs: number,
  ) {}

  /** One transaction: even two processes on one database cannot both claim a key (the insert waits for the other). */
  claim(key: string, hash: string, now: Date): Promise<Claim> {
    return this.storage.transaction((tx) => this.claimIn(tx, key, hash, now), { grouped: true });
  }

  /** False when this process no longer answers the key (answered, forgotten, or taken over after its lease expired). */
  async renew(key: string): Promise<boolean> {
    return (await this.storage.run(SQL.renew, [this.leaseMs, key, this.owner])) === 1;
  }

  /** Frees a key this process claimed but will not answer from, so a retry runs again. */
  async forget(key: string): Promise<void> {
    await this.storage.run(SQL.remove, [key, this.owner]);
  }

  async finish(key: string, response: StoredResponse): Promise<void> {
    // A 5xx decided nothing the client can rely on: forget the key so a retry runs again.
    if (response.status >= 500) await this.forget(key);
    else await this.storage.run(SQL.complete, [response.status, response.contentType, response.location, response.body, key, this.owner]);
  }

  private async claimIn(tx: Transaction, key: string, hash: string, now: Date): Promise<Claim> {
    await tx.run(SQL.prune, [new Date(now.getTime() - IDEMPOTENCY_TTL_MS).toISOString()]);
    if ((await tx.run(SQL.insert, [key, hash, this.owner, now.toISOString(), this.leaseMs])) === 1) return { kind: 'first' };
    const row = (await tx.one<KeyRow>(SQL.get, [key]))!;
    if (row.hash !== hash) return { kind: 'mismatch' };
    if (row.state === 'done') return { kind: 'replay', response: row };
    // A live owner, in this process or another, is answering it now; an expired one was cut off (a crash, a kill).
    if (Number(row.live) === 1) return { kind: 'running' };
    return (await tx.run(SQL.takeOver, [this.owner, now.toISOString(), this.leaseMs, key])) === 1 ? { kind: 'first' } : { kind: 'running' };
  }
}
