// With auth on: requests whose credentials must be refused (401), or whose token lacks the route's scope (403).
// Each carries its own Authorization (or none); the scenario gives every other request a good token.
import { randomUUID } from 'node:crypto';
import { SCOPES } from '../../../src/auth/scopes.js';
import type { TestIdentityProvider } from '../../lib/identityProvider.js';
import type { Seed } from './badRequests.js';
import type { Call } from './http.js';

const ALL = SCOPES.join(' ');

function targets(seed: Seed): Call[] {
  const json = (method: string, path: string, body: unknown): Call => ({ method, path, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return [
    { method: 'GET', path: `/users/${seed.userId}` },
    { method: 'GET', path: `/documents/${seed.documentId}/content` },
    { method: 'GET', path: '/events?limit=5' },
    { method: 'GET', path: '/admin/outbox' },
    { method: 'GET', path: '/dashboard/data' },
    json('POST', '/users', { email: `creds-${randomUUID()}@chaos.test`, name: 'Never' }),
    json('POST', '/payments', { billId: seed.billId, amount: 100, currency: 'EUR', source: 'tok_visa' }),
    json('PATCH', `/users/${seed.userId}`, { name: 'Never' }),
  ];
}

/** Authorization values that must all be 401: not Bearer, malformed, unknown, forged, expired, meant for others. */
async function refusedCredentials(idp: TestIdentityProvider): Promise<string[]> {
  const claims = { sub: 'chaos', scope: ALL };
  const forged = await idp.forgeKey();
  const good = await idp.token(claims);
  return [
    '',
    'Bearer',
    'Bearer ',
    'Bearer a b',
    'Basic Y2hhb3M6Y2hhb3M=',
    'bearer\tnot-a-token',
    `Bearer ${'x'.repeat(8000)}`,
    'Bearer pbk_',
    'Bearer pbk_0011223344556677_short',
    `Bearer pbk_0011223344556677_${'A'.repeat(43)}`,
    `Bearer pbk_../../etc_${'A'.repeat(43)}`,
    `Bearer ${await idp.token(claims, { expiresIn: -60 })}`,
    `Bearer ${await idp.token(claims, { audience: 'another-api' })}`,
    `Bearer ${await idp.token(claims, { issuer: 'https://evil.example/' })}`,
    `Bearer ${await idp.token(claims, { key: forged })}`,
    `Bearer ${idp.unsigned(claims)}`,
    `Bearer ${await idp.hmacWithPublicKey(claims)}`,
    `Bearer ${await idp.token({ ...claims, sub: 's'.repeat(300) })}`,
    `Bearer ${await idp.token({ ...claims, paybus_user_id: "' OR 1=1" })}`,
    `Bearer ${good}x`,
    `Bearer ${good.split('.').slice(0, 2).join('.')}.`,
    `Bearer ${good.replace(/^[^.]+/, Buffer.from('{"alg":"RS256","kid":"../../etc/passwd"}').toString('base64url'))}`,
  ];
}

/** Every target once without any Authorization, and once with each refused credential and with a scope-less token. */
export async function badCredentialCalls(idp: TestIdentityProvider, seed: Seed): Promise<{ anonymous: Call[]; credentialed: Call[] }> {
  const calls = targets(seed);
  const values = [...(await refusedCredentials(idp)), `Bearer ${await idp.token({ sub: 'chaos-no-scope' })}`];
  const credentialed = calls.flatMap((call) => values.map((authorization) => ({ ...call, headers: { ...call.headers, authorization } })));
  return { anonymous: calls, credentialed };
}
