// HTTP hardening: security headers on every response, and a fixed-window rate limit on POST routes per client.
import type { Request, RequestHandler } from 'express';
import helmet from 'helmet';
import { sendProblem } from './problem.js';

/**
 * helmet's headers with a CSP for a JSON API: nothing an answer contains may load or run anything. Pages that
 * need more (the dashboard) set their own CSP, which replaces this one; uploaded bytes get a sandbox CSP too.
 */
export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
    },
  });
}

export interface RateLimitOptions {
  /** POST requests one client may make per window; 0 turns the limit off. */
  limit: number;
  windowMs?: number;
  now?: () => number;
}

/**
 * Fixed window per client address. The client is the socket's peer (req.ip without `trust proxy`): behind a
 * proxy every client would share one budget, so a deployment behind one should limit at the proxy instead.
 */
export function postRateLimit(options: RateLimitOptions): RequestHandler {
  const { limit, windowMs = 60_000, now = Date.now } = options;
  if (limit <= 0) return (_req, _res, next) => next();
  let windowStart = 0;
  // One window's counts only: the map is dropped whole when the window rolls, so it cannot grow without bound.
  let counts = new Map<string, number>();
  return (req, res, next) => {
    if (req.method !== 'POST') return next();
    const t = now();
    if (t - windowStart >= windowMs) {
      windowStart = t;
      counts = new Map();
    }
    const client = clientOf(req);
    const used = (counts.get(client) ?? 0) + 1;
    counts.set(client, used);
    if (used <= limit) return next();
    const retryAfter = Math.max(1, Math.ceil((windowStart + windowMs - t) / 1000));
    res.setHeader('Retry-After', String(retryAfter));
    sendProblem(res, 429, 'Too many requests', `at most ${limit} POST requests per ${windowMs / 1000} s per client; retry in ${retryAfter} s`);
  };
}

function clientOf(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}
