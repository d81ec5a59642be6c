// What routes ask of the caller: a scope, and for a user-bound caller, that the thing is its user's.
// With auth off every guard lets the request through and no caller is bound to a user.
import type { RequestHandler, Response } from 'express';
import { ForbiddenError, UnauthorizedError } from '../errors.js';
import { type Caller, requestAuth } from './Caller.js';
import type { Scope } from './scopes.js';

const insufficient = (scope?: string) => `Bearer realm="paybus", error="insufficient_scope"${scope ? `, scope="${scope}"` : ''}`;

export interface ScopeOptions {
  /** The route reads or acts across every user (the log, analytics, creating users): a user-bound caller gets 403. */
  allUsers?: boolean;
}

/** Lets the request on when the caller holds `scope`; 401 without a caller, 403 without the scope. */
export function requireScope(scope: Scope, options: ScopeOptions = {}): RequestHandler {
  return (_req, res, next) => {
    const caller = callerWhenOn(res);
    if (caller === null) return next();
    if (!caller.scopes.has(scope)) throw new ForbiddenError(`this route needs the ${scope} scope`, insufficient(scope));
    if (options.allUsers && caller.userId !== null) {
      throw new ForbiddenError('a token bound to one user cannot use this route: it reaches every user', insufficient());
    }
    next();
  };
}

/** The user a user-bound caller acts for; null when the caller may act for any user, or auth is off. */
export function boundUser(res: Response): string | null {
  return requestAuth(res)?.caller?.userId ?? null;
}

/**
 * `thing` when the caller may see it; undefined when it is another user's than the one the caller is bound to, so
 * the route answers 404 exactly as for a thing that does not exist.
 */
export function visibleTo<T>(res: Response, thing: T | undefined, ownerOf: (thing: T) => string): T | undefined {
  const user = boundUser(res);
  return thing !== undefined && user !== null && ownerOf(thing) !== user ? undefined : thing;
}

/** Refuses (403) a user-bound caller asking to create something for another user. */
export function mustActFor(res: Response, userId: string): void {
  const user = boundUser(res);
  if (user !== null && user !== userId.toLowerCase()) throw new ForbiddenError('this token acts for one user only, and userId names another', insufficient());
}

/** The caller when auth is on (401 when there is none); null when auth is off. */
function callerWhenOn(res: Response): Caller | null {
  const auth = requestAuth(res);
  // No auth state at all means the authenticate middleware never ran: refuse rather than serve unchecked.
  if (auth && !auth.enabled) return null;
  if (!auth?.caller) throw new UnauthorizedError('this route needs Authorization: Bearer <token or API key>', 'Bearer realm="paybus"');
  return auth.caller;
}
