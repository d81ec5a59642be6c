// X-Correlation-Id in, the same out; a request without one gets a fresh id.
import { randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { actorOf } from '../auth/Caller.js';
import type { EventContext } from '../events/envelope.js';
import type { KeyCommits } from '../runtime/module.js';

const SAFE = /^[A-Za-z0-9._:-]{1,200}$/;

export const correlation: RequestHandler = (req, res, next) => {
  const given = req.get('x-correlation-id');
  const id = given && SAFE.test(given) ? given : randomUUID();
  res.locals.correlationId = id;
  res.setHeader('X-Correlation-Id', id);
  next();
};

/**
 * Event metadata for events a request causes directly: its correlation id and its caller; with an Idempotency-Key,
 * where the commands made for it store their results (pass it to `commit` as `context`).
 */
export function requestContext(res: Response): EventContext {
  const ctx: EventContext = { correlationId: res.locals.correlationId as string | undefined, causationId: null, actor: actorOf(res) };
  if (res.locals.keyCommits) ctx.keyCommits = res.locals.keyCommits as KeyCommits;
  return ctx;
}
