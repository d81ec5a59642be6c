// HTTP hardening: security headers on every response, and a rate limit on POST routes per client.
import type { Request, RequestHandler } from 'express';
import helmet from 'helmet';
import { sendProblem } from './problem.js';
import type { RateLimitStore } from './rateLimitStore.js';

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

/**
 * POSTs per client address, counted in `store` (shared by every replica on Redis or PostgreSQL); past the budget,
 * 429 problem+json with Retry-After. The client is the socket's peer (req.ip without `trust proxy`): behind a
 * proxy every client would share one budget, so a deployment behind one should limit at the proxy instead.
 */
export function postRateLimit(store: RateLimitStore): RequestHandler {
  const { points, windowSeconds } = store;
  return async (req, res, next) => {
    if (req.method !== 'POST') return next();
    const decision = await store.take(clientOf(req));
    if (decision.allowed) return next();
    const retryAfter = Math.max(1, Math.ceil(decision.msBeforeNext / 1000));
    res.setHeader('Retry-After', String(retryAfter));
    sendProblem(res, 429, 'Too many requests', `at most ${points} POST requests per ${windowSeconds} s per client; retry in ${retryAfter} s`);
  };
}

function clientOf(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}
