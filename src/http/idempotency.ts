// Idempotency-Key on POST routes: the first response to a key is stored and replayed to every repeat;
// the key reused for a different request is 422; a repeat that arrives while the first still runs is 409.
//
// JSON routes get it from `idempotency(db)`, mounted once after express.json. A route that parses its own body
// (multipart through multer) is skipped there and mounts `idempotentRequest(db, hashOf)` after its parser, with
// a hash of what it received, e.g. `requestHash(req.method, req.originalUrl, { fields: req.body, sha256 })`.
import { createHash, randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { actorOf } from '../auth/Caller.js';
import { ConflictError, UnprocessableError, ValidationError } from '../errors.js';
import type { Migration } from '../storage/migrate.js';
import type { Sql, Storage, Transaction } from '../storage/Storage.js';

/** How long a key is remembered; older keys are pruned. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
const KEY = /^[\x21-\x7e]{1,255}$/;

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
];

/** This process run. A key left running by another run was cut off by a crash, so a repeat may take it over. */
const RUN_ID = randomUUID();

interface StoredResponse {
  status: number;
  contentType: string | null;
  location: string | null;
  body: string;
}

type Claim = { kind: 'first' } | { kind: 'replay'; response: StoredResponse } | { kind: 'mismatch' } | { kind: 'running' };

interface KeyRow extends StoredResponse {
  hash: string;
  state: 'running' | 'done';
  owner: string;
}

const SQL = {
  get: 'SELECT request_hash AS hash, state, owner, status, content_type AS "contentType", location, body FROM idempotency_keys WHERE key = ?',
  insert: `INSERT INTO idempotency_keys (key, request_hash, state, owner, created_at) VALUES (?, ?, 'running', ?, ?) ON CONFLICT (key) DO NOTHING`,
  takeOver: `UPDATE idempotency_keys SET owner = ?, created_at = ? WHERE key = ? AND state = 'running'`,
  complete: `UPDATE idempotency_keys SET state = 'done', status = ?, content_type = ?, location = ?, body = ? WHERE key = ? AND owner = ?`,
  remove: `DELETE FROM idempotency_keys WHERE key = ? AND owner = ? AND state = 'running'`,
  prune: 'DELETE FROM idempotency_keys WHERE created_at < ?',
};

class IdempotencyKeys {
  constructor(private readonly storage: Storage) {}

  /** One transaction: even two processes on one database cannot both claim a key (the insert waits for the other). */
  claim(key: string, hash: string, now: Date): Promise<Claim> {
    return this.storage.transaction((tx) => this.claimIn(tx, key, hash, now), { grouped: true });
  }

  /** Frees a key this run claimed but will not answer from, so a retry runs again. */
  async forget(key: string): Promise<void> {
    await this.storage.run(SQL.remove, [key, RUN_ID]);
  }

  async finish(key: string, response: StoredResponse): Promise<void> {
    // A 5xx decided nothing the client can rely on: forget the key so a retry runs again.
    if (response.status >= 500) await this.forget(key);
    else await this.storage.run(SQL.complete, [response.status, response.contentType, response.location, response.body, key, RUN_ID]);
  }

  private async claimIn(tx: Transaction, key: string, hash: string, now: Date): Promise<Claim> {
    await tx.run(SQL.prune, [new Date(now.getTime() - IDEMPOTENCY_TTL_MS).toISOString()]);
    if ((await tx.run(SQL.insert, [key, hash, RUN_ID, now.toISOString()])) === 1) return { kind: 'first' };
    const row = (await tx.one<KeyRow>(SQL.get, [key]))!;
    if (row.hash !== hash) return { kind: 'mismatch' };
    if (row.state === 'done') return { kind: 'replay', response: row };
    if (row.owner === RUN_ID) return { kind: 'running' };
    await tx.run(SQL.takeOver, [RUN_ID, now.toISOString(), key]);
    return { kind: 'first' };
  }
}

const stores = new WeakMap<Sql, IdempotencyKeys>();

function keysFor(db: Sql): IdempotencyKeys {
  let keys = stores.get(db);
  if (!keys) stores.set(db, (keys = new IdempotencyKeys(db as Storage)));
  return keys;
}

/** The hash a key is bound to: method, URL and body, with object keys sorted so their order does not matter. */
export function requestHash(method: string, url: string, body: unknown): string {
  return createHash('sha256').update(`${method.toUpperCase()}\n${url}\n${stableJson(body ?? null)}`).digest('hex');
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Idempotency for a route whose body another parser read: `hashOf` sees the parsed request. */
export function idempotentRequest(db: Sql, hashOf: (req: Request) => string): RequestHandler {
  const keys = keysFor(db);
  return async (req, res, next) => {
    const key = req.get(IDEMPOTENCY_HEADER);
    if (req.method !== 'POST' || key === undefined) return next();
    if (!KEY.test(key)) throw new ValidationError([{ field: IDEMPOTENCY_HEADER, message: 'must be 1 to 255 visible ASCII characters' }]);
    // Each caller has keys of its own: another caller's key never replays an answer that was not meant for it.
    const actor = actorOf(res);
    const stored = actor === null ? key : `${actor} ${key}`;
    const claim = await keys.claim(stored, hashOf(req), new Date());
    switch (claim.kind) {
      case 'mismatch':
        throw new UnprocessableError(`${IDEMPOTENCY_HEADER} ${key} was already used for a different request`, [
          { field: IDEMPOTENCY_HEADER, message: 'was already used with another method, path or body' },
        ]);
      case 'running':
        throw new ConflictError(`a request with ${IDEMPOTENCY_HEADER} ${key} is still in progress; retry once it has finished`);
      case 'replay':
        return replay(res, claim.response);
      case 'first':
        recordResponse(res, (response) => keys.finish(stored, response), () => keys.forget(stored));
        return next();
    }
  };
}

/** Idempotency for every JSON POST route; multipart requests are left to their route (see the top of this file). */
export function idempotency(db: Sql): RequestHandler {
  const guard = idempotentRequest(db, (req) => requestHash(req.method, req.originalUrl, req.body));
  return (req, res, next) => (req.is('multipart/form-data') ? next() : guard(req, res, next));
}

/**
 * Hands the first response (status, type, location, body) to `store`, and sends it once stored: a repeat that
 * arrives right after the answer then finds it. A response that finished without res.send (a bare res.end) has
 * no body to replay: `unrecorded` frees the key instead.
 */
function recordResponse(res: Response, store: (response: StoredResponse) => Promise<void>, unrecorded: () => Promise<void>): void {
  const send = res.send.bind(res);
  let recorded = false;
  res.once('finish', () => recorded || void unrecorded().catch(() => {}));
  res.send = ((body?: unknown) => {
    // res.send(object) comes back here as a string through res.json, with its Content-Type set: record that call.
    const serialised = body === undefined || body === null || typeof body === 'string' || Buffer.isBuffer(body);
    if (recorded || !serialised) return send(body);
    recorded = true;
    const text = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : '';
    // Not stored (the database is away): the answer still goes out; the key stays claimed until its owner's run ends.
    void store({ status: res.statusCode, contentType: res.get('Content-Type') ?? null, location: res.get('Location') ?? null, body: text })
      .catch(() => {})
      .finally(() => send(body));
    return res;
  }) as Response['send'];
}

function replay(res: Response, stored: StoredResponse): void {
  res.status(stored.status).set('Idempotent-Replayed', 'true');
  if (stored.contentType) res.set('Content-Type', stored.contentType);
  if (stored.location) res.set('Location', stored.location);
  res.send(stored.body);
}
