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

/** `first`: this request answers the key, through `key` (see ClaimedKey). */
export type Claim =
  | { kind: 'first'; key: ClaimedKey }
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
  /** Claims this process made: with its id, each claim's own owner (see ClaimedKey). */
  private claims = 0;

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

  private async claimIn(tx: Transaction, key: string, hash: string, now: Date): Promise<Claim> {
    // Each claim owns the key under a name of its own: a request of this process that stalled past its lease, whose
    // key a retry to this same process took over, is then as fenced off as one on another replica.
    const owner = `${this.owner}/${++this.claims}`;
    await tx.run(SQL.prune, [new Date(now.getTime() - IDEMPOTENCY_TTL_MS).toISOString()]);
    if ((await tx.run(SQL.insert, [key, hash, owner, now.toISOString(), this.leaseMs])) === 1) return this.first(key, owner, null);
    const row = (await tx.one<KeyRow>(SQL.get, [key]))!;
    if (row.hash !== hash) return { kind: 'mismatch' };
    if (row.state === 'done') return { kind: 'replay', response: row };
    // A live owner, in this process or another, is answering it now; an expired one was cut off (a crash, a kill).
    if (Number(row.live) === 1) return { kind: 'running' };
    const taken = await tx.one<{ commits: string | null }>(SQL.takeOver, [owner, now.toISOString(), this.leaseMs, key]);
    return taken ? this.first(key, owner, taken.commits) : { kind: 'running' };
  }

  private first(key: string, owner: string, commits: string | null): Claim {
    const results = commits === null ? [] : (JSON.parse(commits) as unknown[]);
    return { kind: 'first', key: new ClaimedKey(this.storage, key, owner, this.leaseMs, results) };
  }
}

/**
 * One request's hold on its key: it renews the lease while the request runs, stores the results of the commits made
 * for it (KeyCommits: results in commit order) and, at the end, the answer; or frees the key. Every statement is
 * conditional on this claim's owner: once another took the key over, nothing here changes the row.
 */
export class ClaimedKey implements KeyCommits {
  /** Commits of this request passed so far: replayed, or made and committed here. */
  private passed = 0;
  /** The renewal under way, awaited before the end: a late one would give back a lease just released. */
  private renewing: Promise<unknown> = Promise.resolve();
  private ended = false;

  constructor(
    private readonly storage: Storage,
    readonly key: string,
    private readonly owner: string,
    readonly leaseMs: number,
    /** Results committed for the key, by this request and any that held it before. */
    private readonly results: unknown[],
  ) {}

  /** False when this claim no longer answers the key (answered, freed, or taken over after its lease expired). */
  async renew(): Promise<boolean> {
    if (this.ended) return false;
    const renewal = this.storage.run(SQL.renew, [this.leaseMs, this.key, this.owner]);
    this.renewing = renewal.catch(() => {});
    return (await renewal) === 1;
  }

  /**
   * Frees the key: a retry runs again. When the request committed something, the key stays with its commits and only
   * its lease goes: the retry takes it over at once and answers from them rather than committing again.
   */
  async forget(): Promise<void> {
    await this.end();
    if ((await this.storage.run(SQL.remove, [this.key, this.owner])) === 0) await this.storage.run(SQL.release, [this.key, this.owner]);
  }

  async finish(response: StoredResponse): Promise<void> {
    // A 5xx decided nothing the client can rely on: forget the key so a retry runs again.
    if (response.status >= 500) return this.forget();
    await this.end();
    await this.storage.run(SQL.complete, [response.status, response.contentType, response.location, response.body, this.key, this.owner]);
  }

  nextWasMade(): boolean {
    return this.passed < this.results.length;
  }

  next(): { made: true; result: unknown } | { made: false } {
    return this.nextWasMade() ? { made: true, result: this.results[this.passed++] } : { made: false };
  }

  async save(tx: Transaction, result: unknown): Promise<void> {
    const value = result ?? null;
    // Fenced by the owner: a request that stalled past its lease, whose key another took over, commits nothing.
    if ((await tx.run(SQL.saveCommits, [JSON.stringify([...this.results, value]), this.key, this.owner])) === 0) {
      throw new ConflictError('the request was taken over by another process after this one stalled; retry it with the same Idempotency-Key');
    }
    // Counted once committed: a savepoint or transaction undone leaves the results as they were.
    tx.afterCommit(() => {
      this.results.push(value);
      this.passed++;
    });
  }

  private async end(): Promise<void> {
    this.ended = true;
    await this.renewing;
  }
}
