// Idempotency-Key on POST routes: the first response to a key is stored and replayed to every repeat;
// the key reused for a different request is 422; a repeat that arrives while the first still runs is 409.
//
// JSON routes get it from `idempotency(keys)`, mounted once after express.json. A route that parses its own body
// (multipart through multer) is skipped there and mounts `idempotentRequest(keys, hashOf)` after its parser (a module
// gets it bound as ModuleDeps.idempotentRequest), with a hash of what it received, e.g.
// `requestHash(req.method, req.originalUrl, { fields: req.body, sha256 })`. The keys (IdempotencyKeys) are one
// per app, built by the composition root: the process answering a key holds it under a lease, so another replica
// seeing the key running answers 409 until that lease expired, and takes it over only then.
import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { actorOf } from '../auth/Caller.js';
import { ConflictError, UnprocessableError, ValidationError } from '../errors.js';
import type { ClaimedKey, IdempotencyKeys, StoredResponse } from './IdempotencyKeys.js';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
const KEY = /^[\x21-\x7e]{1,255}$/;

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
export function idempotentRequest(keys: IdempotencyKeys, hashOf: (req: Request) => string): RequestHandler {
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
      case 'first': {
        // The commands this request makes store their results with the key (see KeyCommits and requestContext).
        res.locals.keyCommits = claim.key;
        const stop = renewWhileAnswering(claim.key);
        recordResponse(
          res,
          (response) => (stop(), claim.key.finish(response)),
          () => (stop(), claim.key.forget()),
        );
        return next();
      }
    }
  };
}

/** Idempotency for every JSON POST route; multipart requests are left to their route (see the top of this file). */
export function idempotency(keys: IdempotencyKeys): RequestHandler {
  const guard = idempotentRequest(keys, (req) => requestHash(req.method, req.originalUrl, req.body));
  return (req, res, next) => (req.is('multipart/form-data') ? next() : guard(req, res, next));
}

/**
 * Keeps the key's lease while its request runs (a payment may outlast one lease): renewed every third of it, until
 * the response is stored or freed. Not stopped when the client leaves: the handler still runs, and another replica
 * taking the key over meanwhile would run the request a second time.
 */
function renewWhileAnswering(key: ClaimedKey): () => void {
  const timer = setInterval(() => void key.renew().catch(() => {}), key.leaseMs / 3);
  timer.unref();
  return () => clearInterval(timer);
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
    // A conflict (the bill has a payment in progress, the key runs elsewhere) or a server error is the state of the
    // moment, not the request's answer: stored, it would be replayed after the payment in progress was finished. It
    // changed nothing, so the key is let go and a retry runs afresh.
    if (res.statusCode === 409 || res.statusCode >= 500) {
      void unrecorded().catch(() => {}).finally(() => send(body));
      return res;
    }
    const text = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : '';
    // Not stored (the database is away): the answer still goes out; the key stays claimed until its lease expires.
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
