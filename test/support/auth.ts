// Auth in tests: a paybus pointed at a real identity provider (scripts/lib/identityProvider.ts), tokens and headers.
import { expect } from 'chai';
import type supertest from 'supertest';
import { SCOPES } from '../../src/auth/scopes.js';
import { TestIdentityProvider } from '../../scripts/lib/identityProvider.js';
import { startTestApp, type TestApp } from './testApp.js';

export { TestIdentityProvider };

/** Every domain scope, as a `scope` claim. */
export const ALL_SCOPES = SCOPES.join(' ');

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/**
 * A paybus that checks tokens against `idp`. A key id it has not seen is fetched at once (no cooldown), so a test can
 * rotate keys without waiting.
 */
export function startWithProvider(idp: TestIdentityProvider, env: Record<string, string> = {}): Promise<TestApp> {
  return startTestApp({ ...idp.env(), ...env }, { auth: { jwksCooldownMs: 0 } });
}

/** A 401 problem+json whose challenge says whether a token was sent and refused (RFC 6750). */
export function expectUnauthorized(res: supertest.Response, invalidToken: boolean): void {
  expect(res.status, res.text).to.equal(401);
  expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
  expect(res.body).to.include({ status: 401, title: 'Unauthorized' });
  const challenge = String(res.headers['www-authenticate']);
  expect(challenge).to.match(/^Bearer realm="paybus"/);
  if (invalidToken) expect(challenge).to.include('error="invalid_token"');
  else expect(challenge).to.not.include('error=');
}

/** A 403 problem+json with the insufficient_scope challenge. */
export function expectForbidden(res: supertest.Response): void {
  expect(res.status, res.text).to.equal(403);
  expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
  expect(res.body).to.include({ status: 403, title: 'Forbidden' });
  expect(String(res.headers['www-authenticate'])).to.match(/^Bearer realm="paybus", error="insufficient_scope"/);
}
