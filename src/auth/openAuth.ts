// Whether auth is on, decided once at start: an identity provider configured, or API keys in the database.
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { ConfigError } from '../errors.js';
import { redactUrl } from '../logger.js';
import type { Sql } from '../storage/Storage.js';
import { ApiKeys } from './ApiKeys.js';
import { Authenticator } from './Authenticator.js';
import { JwtVerifier } from './JwtVerifier.js';

export interface AuthState {
  enabled: boolean;
  /** The identity provider's keys, when access tokens are accepted. */
  jwksUrl?: string;
  /** Unrevoked API keys in the database at start. */
  apiKeysAtStart: number;
  apiKeys: ApiKeys;
  /** Present exactly when auth is on. */
  authenticator?: Authenticator;
}

export interface AuthOptions {
  /** How soon a token naming an unknown key id may make paybus fetch the JWKS again (default jose's 30 s). */
  jwksCooldownMs?: number;
}

/**
 * On when AUTH_JWKS_URL is set or the database holds an unrevoked API key. Decided at start and kept: revoking the
 * last key later does not open the doors; a first key made while paybus runs open takes effect at the next start.
 */
export async function openAuth(config: Config, db: Sql, log: Logger, options: AuthOptions = {}): Promise<AuthState> {
  const apiKeys = new ApiKeys(db);
  const apiKeysAtStart = await apiKeys.countActive();
  const { jwksUrl, issuer, audience, userClaim } = config.auth;
  const enabled = jwksUrl !== undefined || apiKeysAtStart > 0;
  if (!enabled) return { enabled, apiKeysAtStart, apiKeys };
  const jwt = jwksUrl !== undefined ? new JwtVerifier({ jwksUrl, issuer: issuer!, audience: audience!, cooldownMs: options.jwksCooldownMs }) : undefined;
  const authenticator = new Authenticator({ jwt, apiKeys, adminToken: config.adminToken, userClaim, log: log.child({ component: 'auth' }) });
  return { enabled, jwksUrl, apiKeysAtStart, apiKeys, authenticator };
}

/**
 * The start's one line on auth: which of tokens and API keys turned it on, or a warning that every route is open.
 * Production refuses to run open (ConfigError, the one line main prints).
 */
export function announceAuth(state: AuthState, config: Config, log: Logger): void {
  if (!state.enabled) {
    if (config.nodeEnv === 'production') {
      throw new ConfigError('unsafe AUTH_JWKS_URL: NODE_ENV=production refuses to run with auth off; set AUTH_JWKS_URL (with AUTH_ISSUER and AUTH_AUDIENCE) or make an API key (npm run admin -- api-keys create)');
    }
    log.warn('auth is OFF: every route is open to whoever reaches this port; set AUTH_JWKS_URL or make an API key (npm run admin -- api-keys create) to turn it on');
    return;
  }
  const by = [
    ...(state.jwksUrl ? [`access tokens from ${config.auth.issuer} for ${config.auth.audience} (keys at ${redactUrl(state.jwksUrl)})`] : []),
    ...(state.apiKeysAtStart > 0 ? [`${state.apiKeysAtStart} API key${state.apiKeysAtStart === 1 ? '' : 's'} in the database`] : []),
  ];
  log.info({ auth: { jwks: Boolean(state.jwksUrl), apiKeys: state.apiKeysAtStart, userClaim: config.auth.userClaim } }, `auth is on: ${by.join(', and ')}`);
}
