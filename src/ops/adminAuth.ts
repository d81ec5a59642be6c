// Bearer-token guard for /admin: constant-time comparison over equal-length digests, problem+json 401 otherwise.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { sendProblem } from '../http/problem.js';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** The token as a request carries it, or undefined when the header is missing or not a Bearer credential. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header ?? '');
  return match?.[1];
}

export function tokenMatches(given: string | undefined, expected: Buffer): boolean {
  // Digests have one length whatever was sent, so timingSafeEqual never throws and the time says nothing
  // about how much of the token matched.
  const same = timingSafeEqual(digest(given ?? ''), expected);
  return given !== undefined && same;
}

export function adminAuth(token: string): RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    if (tokenMatches(bearerToken(req.get('authorization')), expected)) return next();
    res.setHeader('WWW-Authenticate', 'Bearer realm="paybus admin"');
    sendProblem(res, 401, 'Unauthorized', 'the admin API needs Authorization: Bearer <ADMIN_TOKEN>');
  };
}
