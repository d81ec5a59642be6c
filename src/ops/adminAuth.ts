// Bearer-token guard for /admin while auth is off: ADMIN_TOKEN, compared in constant time; problem+json 401 otherwise.
// (With auth on, /admin takes the admin scope instead, and ADMIN_TOKEN is one caller that has it: src/auth.)
import type { RequestHandler } from 'express';
import { bearerToken, digest, tokenMatches } from '../auth/bearer.js';
import { sendProblem } from '../http/problem.js';

export { bearerToken } from '../auth/bearer.js';

export function adminAuth(token: string): RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    if (tokenMatches(bearerToken(req.get('authorization')), expected)) return next();
    res.setHeader('WWW-Authenticate', 'Bearer realm="paybus admin"');
    sendProblem(res, 401, 'Unauthorized', 'the admin API needs Authorization: Bearer <ADMIN_TOKEN>');
  };
}
