// Optional load shedding: while a subscriber is further behind than a bound, POSTs get 503 with Retry-After, so a
// flood of writes does not grow a backlog without end. Reads, and every request while nothing is behind, go on.
import type { RequestHandler } from 'express';
import type { SubscriberLag } from '../runtime/EventTransport.js';
import { sendProblem } from './problem.js';

export interface ShedOptions {
  /** Events behind past which POSTs are refused; 0 turns shedding off. */
  limit: number;
  /** The lag as last read (never waits). */
  lag(): SubscriberLag[];
  retryAfterSeconds?: number;
}

export function shedLoad({ limit, lag, retryAfterSeconds = 5 }: ShedOptions): RequestHandler {
  if (limit <= 0) return (_req, _res, next) => next();
  return (req, res, next) => {
    if (req.method !== 'POST') return next();
    const behind = lag().find((l) => l.events > limit);
    if (!behind) return next();
    res.setHeader('Retry-After', String(retryAfterSeconds));
    sendProblem(res, 503, 'Service unavailable', `catching up: ${behind.subscriber} is ${behind.events} events behind (more than ${limit}); retry in ${retryAfterSeconds} s`);
  };
}
