// The idempotency_keys table: who answers a key (an owner with a lease on the database clock) and, once answered,
// the response every repeat gets. Built once by the composition root and shared by every route that guards keys.
import { ConflictError } from '../errors.js';
import type { KeyCommits } from '../runtime/module.js';
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
  {
    // The results of the commits made for a running key (a JSON array, see KeyCommits), written in each commit's own
    // transaction: a process taking the key over finds what its dead owner committed and does not commit it again.
    id: '003-key-commits',
    sql: 'ALTER TABLE idempotency_keys ADD COLUMN commits TEXT',
  },
];

export interface StoredResponse {
  status: number;
  contentType: string | null;
  location: string | null;
  body: string;
}

/** `first`: this process answers the key; `commits` holds what a process that held it before committed (see KeyCommits). */
export type Claim =
  | { kind: 'first'; commits: KeyCommits }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'mismatch' }
  | { kind: 'running' };

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
  // Conditional on the expired lease in the statement itself: of two processes taking one key over, one changes the
  // row. It returns the commits as they are when it takes the row: the owner before can no longer add to them.
  takeOver: perEngine(
    (e) =>
      `UPDATE idempotency_keys SET owner = ?, created_at = ?, lease_expires_at = ${databaseNowMs(e)} + ? WHERE key = ? AND state = 'running' AND ${EXPIRED(e)}
      RETURNING commits`,
  ),
  saveCommits: `UPDATE idempotency_keys SET commits = ? WHERE key = ? AND owner = ? AND state = 'running'`,
  renew: perEngine((e) => `UPDATE idempotency_keys SET lease_expires_at = ${databaseNowMs(e)} + ? WHERE key = ? AND owner = ? AND state = 'running'`),
  complete: `UPDATE idempotency_keys SET state = 'done', status = ?, content_type = ?, location = ?, body = ? WHERE key = ? AND owner = ? AND state = 'running'`,
  // A key whose request committed something is never removed: a retry must find those commits.
  remove: `DELETE FROM idempotency_keys WHERE key = ? AND owner = ? AND state = 'running' AND commits IS NULL`,
  release: `UPDATE idempotency_keys SET lease_expires_at = NULL WHERE key = ? AND owner = ? AND state = 'running'`,
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

  /**
   * Frees a key this process claimed but will not answer from, so a retry runs again. When the request committed
   * something, the key stays with its commits and only its lease goes: the retry takes it over at once and answers
   * from them rather than committing again.
   */
  async forget(key: string): Promise<void> {
    if ((await this.storage.run(SQL.remove, [key, this.owner])) === 0) await this.storage.run(SQL.release, [key, this.owner]);
  }

  async finish(key: string, response: StoredResponse): Promise<void> {
    // A 5xx decided nothing the client can rely on: forget the key so a retry runs again.
    if (response.status >= 500) await this.forget(key);
    else await this.storage.run(SQL.complete, [response.status, response.contentType, response.location, response.body, key, this.owner]);
  }

  private async claimIn(tx: Transaction, key: string, hash: string, now: Date): Promise<Claim> {
    await tx.run(SQL.prune, [new Date(now.getTime() - IDEMPOTENCY_TTL_MS).toISOString()]);
    if ((await tx.run(SQL.insert, [key, hash, this.owner, now.toISOString(), this.leaseMs])) === 1) return this.first(key, null);
    const row = (await tx.one<KeyRow>(SQL.get, [key]))!;
    if (row.hash !== hash) return { kind: 'mismatch' };
    if (row.state === 'done') return { kind: 'replay', response: row };
    // A live owner, in this process or another, is answering it now; an expired one was cut off (a crash, a kill).
    if (Number(row.live) === 1) return { kind: 'running' };
    const taken = await tx.one<{ commits: string | null }>(SQL.takeOver, [this.owner, now.toISOString(), this.leaseMs, key]);
    return taken ? this.first(key, taken.commits) : { kind: 'running' };
  }

  private first(key: string, commits: string | null): Claim {
    return { kind: 'first', commits: new StoredCommits(key, this.owner, commits === null ? [] : (JSON.parse(commits) as unknown[])) };
  }
}

/** The commits of one request as its key's row keeps them: results in commit order. */
class StoredCommits implements KeyCommits {
  /** Commits of this request passed so far: replayed, or made and committed here. */
  private passed = 0;

  constructor(
    private readonly key: string,
    private readonly owner: string,
    /** Results committed for the key, by this process and any that held it before. */
    private readonly results: unknown[],
  ) {}

  next(): { made: true; result: unknown } | { made: false } {
    return this.passed < this.results.length ? { made: true, result: this.results[this.passed++] } : { made: false };
  }

  async save(tx: Transaction, result: unknown): Promise<void> {
    const value = result ?? null;
    // Fenced by the owner: a process that stalled past its lease, whose key another took over, commits nothing.
    if ((await tx.run(SQL.saveCommits, [JSON.stringify([...this.results, value]), this.key, this.owner])) === 0) {
      throw new ConflictError('the request was taken over by another process after this one stalled; retry it with the same Idempotency-Key');
    }
    // Counted once committed: a savepoint or transaction undone leaves the results as they were.
    tx.afterCommit(() => {
      this.results.push(value);
      this.passed++;
    });
  }
}
