// A scope per route family: without a token 401, without the route's scope 403 naming it, with it through.
// The probes, metrics and the dashboard's page stay open; /admin takes the admin scope or ADMIN_TOKEN.
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { KNOWN_SCOPES, type Scope } from '../../src/auth/scopes.js';
import { ALL_SCOPES, bearer, expectForbidden, expectUnauthorized, startWithProvider, TestIdentityProvider } from '../support/auth.js';
import type { TestApp } from '../support/testApp.js';

const ADMIN_TOKEN = 'admin-token-for-auth-tests-5d1e0c';
const id = randomUUID();

interface Route {
  method: 'get' | 'post' | 'patch';
  path: string;
  scope: Scope;
  body?: object;
}

const ROUTES: Route[] = [
  { method: 'post', path: '/users', scope: 'users:write', body: { email: 'x@scopes.test', name: 'X' } },
  { method: 'get', path: `/users/${id}`, scope: 'users:read' },
  { method: 'patch', path: `/users/${id}`, scope: 'users:write', body: { name: 'Y' } },
  { method: 'post', path: '/bills', scope: 'bills:write', body: { userId: id, amount: 100, currency: 'EUR', dueDate: '2030-01-01' } },
  { method: 'get', path: `/bills/${id}`, scope: 'bills:read' },
  { method: 'get', path: `/users/${id}/bills`, scope: 'bills:read' },
  { method: 'post', path: '/payments', scope: 'payments:write', body: { billId: id, amount: 100, currency: 'EUR', source: 'tok_visa' } },
  { method: 'get', path: `/payments/${id}`, scope: 'payments:read' },
  { method: 'post', path: '/documents', scope: 'documents:write' },
  { method: 'get', path: `/documents/${id}`, scope: 'documents:read' },
  { method: 'get', path: `/documents/${id}/content`, scope: 'documents:read' },
  { method: 'get', path: `/notifications?userId=${id}`, scope: 'notifications:read' },
  { method: 'get', path: '/analytics/summary', scope: 'analytics:read' },
  { method: 'get', path: '/events', scope: 'events:read' },
  { method: 'get', path: '/admin/outbox', scope: 'admin' },
  { method: 'get', path: '/dashboard/data', scope: 'admin' },
];

describe('auth: scopes per route', () => {
  let idp: TestIdentityProvider;
  let t: TestApp;
  before(async () => (idp = await TestIdentityProvider.start()));
  after(async () => idp.close());
  afterEach(async () => t?.stop());

  const call = (r: Route, headers: Record<string, string> = {}) => {
    const req = t.http[r.method](r.path).set(headers);
    return r.body ? req.send(r.body) : req;
  };

  it('when a route is called without a token, with every scope but its own, and with only its own, then 401, 403, through', async () => {
    t = await startWithProvider(idp);
    for (const r of ROUTES) {
      const label = `${r.method.toUpperCase()} ${r.path}`;
      expectUnauthorized(await call(r), false);
      const others = await idp.token({ sub: 'svc', scope: KNOWN_SCOPES.filter((s) => s !== r.scope).join(' ') });
      const refused = await call(r, bearer(others));
      expectForbidden(refused);
      expect(refused.body.detail, label).to.include(r.scope);
      expect(String(refused.headers['www-authenticate']), label).to.include(`scope="${r.scope}"`);
      const own = await call(r, bearer(await idp.token({ sub: 'svc', scp: [r.scope] })));
      expect(own.status, `${label}: ${own.text}`).to.not.be.oneOf([401, 403]);
      expect(own.status, label).to.be.below(500);
    }
    expect(await t.app.store.headPosition(), 'only the calls with their scope changed anything').to.equal(1);
  });

  it('when the probes, metrics and the dashboard page are called without a token, then they answer', async () => {
    t = await startWithProvider(idp);
    await t.http.get('/health').expect(200);
    await t.http.get('/ready').expect(200);
    await t.http.get('/metrics').expect(200);
    await t.http.get('/dashboard').expect(200);
    await t.http.get('/dashboard/assets/dashboard.js').expect(200);
  });

  it('when auth is on, then ADMIN_TOKEN and an admin-scoped token reach /admin, and ADMIN_TOKEN reaches no domain route', async () => {
    t = await startWithProvider(idp, { ADMIN_TOKEN });
    await t.http.get('/admin/subscribers').set(bearer(ADMIN_TOKEN)).expect(200);
    await t.http.get('/dashboard/data').set(bearer(ADMIN_TOKEN)).expect(200);
    await t.http.get('/admin/subscribers').set(bearer(await idp.token({ sub: 'ops', scope: 'admin' }))).expect(200);
    expectForbidden(await t.http.get('/events').set(bearer(ADMIN_TOKEN)));
    expectUnauthorized(await t.http.get('/admin/subscribers').set(bearer(`${ADMIN_TOKEN}x`)), true);
    expectForbidden(await t.http.get('/admin/subscribers').set(bearer(await idp.token({ sub: 'ops', scope: ALL_SCOPES }))));
  });

  it('when auth is on without ADMIN_TOKEN, then /admin is there for the admin scope', async () => {
    t = await startWithProvider(idp);
    await t.http.get('/admin/outbox').set(bearer(await idp.token({ sub: 'ops', scope: 'admin' }))).expect(200);
  });

  it('when POSTs come past the rate limit, then 429 before any token is checked, and the headers are on every refusal', async () => {
    t = await startWithProvider(idp, { RATE_LIMIT_POST_PER_MINUTE: '3' });
    const token = await idp.token({ sub: 'svc', scope: ALL_SCOPES });
    const user = { email: 'rate@scopes.test', name: 'R' };
    expectUnauthorized(await t.http.post('/users').send(user), false);
    expectUnauthorized(await t.http.post('/users').set(bearer('not-a-token')).send(user), true);
    await t.http.post('/users').set(bearer(token)).send(user).expect(201);
    const limited = await t.http.post('/users').set(bearer(token)).send({ ...user, email: 'rate2@scopes.test' }).expect(429);
    expect(limited.headers['retry-after']).to.match(/^\d+$/);
    await t.http.post('/users').send(user).expect(429);
    const refused = await t.http.get('/events');
    expect(refused.status).to.equal(401);
    expect(refused.headers['x-content-type-options']).to.equal('nosniff');
    expect(refused.headers['content-security-policy']).to.include("default-src 'none'");
  });
});
