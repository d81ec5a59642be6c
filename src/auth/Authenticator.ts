// Turns a request's Authorization header into the caller it stands for: ADMIN_TOKEN, an API key, or an access
// token from the identity provider.
import type { JWTPayload } from 'jose';
import type { Logger } from 'pino';
import { ServiceUnavailableError, UnauthorizedError } from '../errors.js';
import { ACTOR_MAX } from '../events/envelope.js';
import { isUuid } from '../http/validate.js';
import { type ApiKeys, looksLikeApiKey } from './ApiKeys.js';
import { bearerToken, digest, tokenMatches } from './bearer.js';
import type { Caller } from './Caller.js';
import { InvalidTokenError, type JwtVerifier, KeySourceError } from './JwtVerifier.js';
import { ADMIN_SCOPE, scopesOf } from './scopes.js';

export interface AuthenticatorDeps {
  /** Absent: no identity provider, API keys only. */
  jwt?: JwtVerifier;
  apiKeys: ApiKeys;
  adminToken?: string;
  userClaim: string;
  log: Logger;
}

const REALM = 'Bearer realm="paybus"';
const invalid = (reason: string) => new UnauthorizedError(reason, `${REALM}, error="invalid_token", error_description="${reason}"`);
/** Subjects paybus gives its own callers: a token from the provider may not pass for one of them. */
const RESERVED_SUBJECT = /^(apikey:|admin-token$)/;
const WARN_EVERY_MS = 60_000;

export class Authenticator {
  private readonly adminDigest?: Buffer;
  private lastKeyWarning = 0;

  constructor(private readonly deps: AuthenticatorDeps) {
    if (deps.adminToken !== undefined) this.adminDigest = digest(deps.adminToken);
  }

  /** The caller; throws UnauthorizedError (401) when there is none that holds, ServiceUnavailableError (503) when tokens cannot be checked now. */
  async authenticate(header: string | undefined): Promise<Caller> {
    if (header === undefined) throw new UnauthorizedError('this route needs Authorization: Bearer <token or API key>', REALM);
    const token = bearerToken(header);
    if (token === undefined) throw new UnauthorizedError('the Authorization header must read Bearer <token or API key>', REALM);
    if (this.adminDigest && tokenMatches(token, this.adminDigest)) return { subject: 'admin-token', scopes: new Set([ADMIN_SCOPE]), userId: null };
    if (looksLikeApiKey(token)) {
      const caller = await this.deps.apiKeys.verify(token);
      if (!caller) throw invalid('the API key is unknown, revoked or malformed');
      return caller;
    }
    if (!this.deps.jwt) throw invalid('this paybus takes API keys only, no access tokens');
    return this.callerOf(await this.verified(this.deps.jwt, token));
  }

  private async verified(jwt: JwtVerifier, token: string): Promise<JWTPayload> {
    try {
      return await jwt.verify(token);
    } catch (error) {
      if (error instanceof InvalidTokenError) throw invalid(error.message);
      if (!(error instanceof KeySourceError)) throw error;
      if (Date.now() - this.lastKeyWarning > WARN_EVERY_MS) {
        this.lastKeyWarning = Date.now();
        this.deps.log.warn({ err: error }, 'auth: the identity provider keys cannot be read; requests with access tokens get 503');
      }
      throw new ServiceUnavailableError('access tokens cannot be checked right now (the identity provider does not answer); try again shortly');
    }
  }

  private callerOf(claims: JWTPayload): Caller {
    const subject = claims.sub!;
    if (subject.length > ACTOR_MAX) throw invalid(`the token sub claim is longer than ${ACTOR_MAX} characters`);
    if (RESERVED_SUBJECT.test(subject)) throw invalid('the token sub claim names a paybus caller of its own');
    const bound = (claims as Record<string, unknown>)[this.deps.userClaim];
    // A claim that is there but unreadable must never leave the token acting for everyone.
    if (bound !== undefined && !isUuid(bound)) throw invalid(`the token ${this.deps.userClaim} claim is not a user id`);
    return { subject, scopes: scopesOf(claims as Record<string, unknown>), userId: bound === undefined ? null : bound.toLowerCase() };
  }
}
