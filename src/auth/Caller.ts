// Who is calling, as a request carries it once authenticated (src/auth/authenticate.ts puts it on res.locals).
import type { Response } from 'express';

export interface Caller {
  /** Who: the token's `sub`, `apikey:<id>` for an API key, `admin-token` for ADMIN_TOKEN. */
  subject: string;
  scopes: ReadonlySet<string>;
  /** The one user this caller acts for (a user-bound token or key), or null for a caller that may act for any. */
  userId: string | null;
}

export interface RequestAuth {
  /** Auth is on for this paybus: every route but the open ones needs a caller. */
  enabled: boolean;
  /** Null with auth off, and on the open routes. */
  caller: Caller | null;
}

export function requestAuth(res: Response): RequestAuth | undefined {
  return res.locals.auth as RequestAuth | undefined;
}

export function setRequestAuth(res: Response, auth: RequestAuth): void {
  res.locals.auth = auth;
}

/** What events and logs record as the caller: null with auth off. */
export function actorOf(res: Response): string | null {
  return requestAuth(res)?.caller?.subject ?? null;
}
