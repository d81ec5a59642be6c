// The middleware that authenticates every request before any route runs; only the open routes need no caller.
import type { RequestHandler } from 'express';
import type { Authenticator } from './Authenticator.js';
import { setRequestAuth } from './Caller.js';

/**
 * Open with auth on: probes and metrics for the platform, and the dashboard's page and files, which hold no data
 * (the page asks /dashboard/data, which needs the admin scope, with the token it is given).
 */
const OPEN = new Set(['/health', '/ready', '/metrics', '/dashboard']);
const isOpen = (path: string) => OPEN.has(path) || path.startsWith('/dashboard/assets/');

/** `authenticator` undefined: auth is off, every request goes on with no caller. */
export function authenticate(authenticator: Authenticator | undefined): RequestHandler {
  if (!authenticator) {
    return (_req, res, next) => {
      setRequestAuth(res, { enabled: false, caller: null });
      next();
    };
  }
  return async (req, res, next) => {
    if (isOpen(req.path)) {
      setRequestAuth(res, { enabled: true, caller: null });
      return next();
    }
    setRequestAuth(res, { enabled: true, caller: await authenticator.authenticate(req.get('authorization')) });
    next();
  };
}
