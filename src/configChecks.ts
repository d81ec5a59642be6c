// The start checks that look at several variables together: auth set up by halves, and what production refuses.
import type { Env } from './config.js';
import { ConfigError } from './errors.js';

/** Shortest ADMIN_TOKEN production accepts: 32 characters, e.g. `openssl rand -hex 16`. */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

/**
 * A token is only as good as the checks on it: keys without an issuer and an audience would accept any token the
 * provider ever signed for anyone, and an issuer without keys means someone believes auth is on when it is not.
 */
export function refuseHalfConfiguredAuth(e: Env): void {
  if (e.AUTH_JWKS_URL !== undefined) {
    if (e.AUTH_ISSUER === undefined) throw new ConfigError('invalid AUTH_ISSUER: must be set when AUTH_JWKS_URL is (the iss every token must carry)');
    if (e.AUTH_AUDIENCE === undefined) throw new ConfigError('invalid AUTH_AUDIENCE: must be set when AUTH_JWKS_URL is (the aud every token must carry)');
    return;
  }
  const orphan = e.AUTH_ISSUER !== undefined ? 'AUTH_ISSUER' : e.AUTH_AUDIENCE !== undefined ? 'AUTH_AUDIENCE' : undefined;
  if (orphan) throw new ConfigError(`invalid AUTH_JWKS_URL: must be set when ${orphan} is (the keys tokens are checked against)`);
}

/**
 * Production refuses what works on a laptop but is an open door on a server. Admin counts as asked for in every
 * production process: it is the only way to redrive dead letters and see the outbox, so it must be present, and
 * guarded by a token that cannot be guessed. The broker must not be reached with RabbitMQ's default guest/guest,
 * which is also what amqplib sends when the URL names no user.
 */
export function refuseUnsafeProduction(e: Env): void {
  if (e.ADMIN_TOKEN === undefined) {
    throw new ConfigError(`unsafe ADMIN_TOKEN: NODE_ENV=production needs ADMIN_TOKEN set (at least ${MIN_ADMIN_TOKEN_LENGTH} characters) for /admin`);
  }
  if (e.ADMIN_TOKEN.trim().length < MIN_ADMIN_TOKEN_LENGTH) {
    throw new ConfigError(`unsafe ADMIN_TOKEN: NODE_ENV=production needs at least ${MIN_ADMIN_TOKEN_LENGTH} characters`);
  }
  if (e.AUTH_JWKS_URL !== undefined && !isHttpsOrLoopback(e.AUTH_JWKS_URL)) {
    // Keys fetched in the clear can be swapped on the way: whoever does it signs tokens paybus then trusts.
    throw new ConfigError('unsafe AUTH_JWKS_URL: NODE_ENV=production needs an https:// URL (or one on this machine)');
  }
  if (e.EVENT_TRANSPORT !== 'rabbitmq') return;
  const { user, pass } = brokerCredentials(e.RABBITMQ_URL, e.RABBITMQ_USER, e.RABBITMQ_PASS);
  if (!user || !pass) {
    throw new ConfigError('unsafe RABBITMQ_URL: NODE_ENV=production needs broker credentials (in the URL or RABBITMQ_USER and RABBITMQ_PASS), not the default guest/guest');
  }
  if (user === 'guest' || pass === 'guest') {
    throw new ConfigError('unsafe RABBITMQ_USER: NODE_ENV=production refuses the default broker credentials guest/guest');
  }
}

function isHttpsOrLoopback(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname);
  } catch {
    return false;
  }
}

/** The credentials the broker connection will use: RABBITMQ_USER/PASS override the URL's. */
function brokerCredentials(url: string, user?: string, pass?: string): { user?: string; pass?: string } {
  let fromUrl: { user?: string; pass?: string } = {};
  try {
    const u = new URL(url);
    fromUrl = { user: u.username ? decodeURIComponent(u.username) : undefined, pass: u.password ? decodeURIComponent(u.password) : undefined };
  } catch {
    // the URL's shape was checked already; an unparsable one names no credentials
  }
  return { user: user ?? fromUrl.user, pass: pass ?? fromUrl.pass };
}
