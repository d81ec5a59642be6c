// Access tokens checked against a real JWKS served over HTTP: what holds is served, everything else is 401 (or 503
// when the keys cannot be read), and nothing a refused request asked for happens.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { ALL_SCOPES, bearer, expectUnauthorized, startWithProvider, TestIdentityProvider } from '../support/auth.js';
import { startTestApp, type TestApp } from '../support/testApp.js';

const ada = { email: 'ada@auth.test', name: 'Ada' };

describe('auth: access tokens from the identity provider', () => {
  let idp: TestIdentityProvider;
  let t: TestApp;
  before(async () => (idp = await TestIdentityProvider.start()));
  after(async () => idp.close());
  beforeEach(async () => (t = await startWithProvider(idp, { MODULES: 'users' })));
  afterEach(async () => t.stop());

  const good = () => idp.token({ sub: 'svc-reports', scope: ALL_SCOPES });

  it('when a good token calls, then it is served, and the key set is fetched once for many calls', async () => {
    const before = idp.fetches;
    const token = await good();
    const created = await t.http.post('/users').set(bearer(token)).send(ada).expect(201);
    await t.http.get(`/users/${created.body.id}`).set(bearer(token)).expect(200);
    await t.http.get(`/users/${created.body.id}`).set(bearer(await good())).expect(200);
    expect(idp.fetches - before).to.equal(1);
  });

  it('when no Authorization header is sent, then 401 with a bare Bearer challenge', async () => {
    expectUnauthorized(await t.http.post('/users').send(ada), false);
    expectUnauthorized(await t.http.get('/users/0190c0de-0000-7000-8000-000000000000'), false);
    expectUnauthorized(await t.http.get('/no-such-route'), false);
  });

  it('when the token does not hold, then 401 invalid_token saying why, and nothing is created', async () => {
    const claims = { sub: 'svc-reports', scope: ALL_SCOPES };
    const refused: [string, string, RegExp][] = [
      ['expired', await idp.token(claims, { expiresIn: -3600 }), /expired/],
      ['another audience', await idp.token(claims, { audience: 'someone-else' }), /audience/],
      ['another issuer', await idp.token(claims, { issuer: 'https://evil.test/' }), /issuer/],
      ['signed by a key the provider does not hold', await idp.token(claims, { key: await idp.forgeKey() }), /signature/],
      ['alg none', idp.unsigned(claims), /algorithm/],
      ['HS256 made with the public key', await idp.hmacWithPublicKey(claims), /algorithm/],
      ['garbled', 'not-a-jwt-at-all', /well-formed/],
      ['a JWS with a garbled header', 'e30x.e30.c2ln', /well-formed/],
      ['no sub', await idp.token({ scope: ALL_SCOPES }), /sub/],
      ['a sub that passes for an API key', await idp.token({ ...claims, sub: 'apikey:0011223344556677' }), /sub/],
      ['a user claim that is not a user id', await idp.token({ ...claims, paybus_user_id: 'everyone' }), /paybus_user_id/],
      ['an unknown API key', 'pbk_0011223344556677_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', /API key/],
    ];
    for (const [what, token, why] of refused) {
      const res = await t.http.post('/users').set(bearer(token)).send(ada);
      expectUnauthorized(res, true);
      expect(res.body.detail, what).to.match(why);
      expect(res.text, what).to.not.include(token);
    }
    expectUnauthorized(await t.http.post('/users').set('authorization', `Basic ${Buffer.from('a:b').toString('base64')}`).send(ada), false);
    expect(await t.app.store.headPosition()).to.equal(0);
  });

  it('when the provider rotates to a new key after the start, then tokens with its kid are served without a restart', async () => {
    await t.http.get('/users/0190c0de-0000-7000-8000-000000000000').set(bearer(await good())).expect(404);
    const kid = await idp.createKey('ES256');
    const rotated = await idp.token({ sub: 'svc-reports', scope: ALL_SCOPES }, { kid });
    expectUnauthorized(await t.http.post('/users').set(bearer(rotated)).send(ada), true);
    idp.publish(kid);
    const fetches = idp.fetches;
    await t.http.post('/users').set(bearer(rotated)).send(ada).expect(201);
    expect(idp.fetches).to.equal(fetches + 1);
  });
});

describe('auth: when the identity provider cannot be reached', () => {
  it('then a token gets 503 problem+json, not 401: the token may be fine', async () => {
    const idp = await TestIdentityProvider.start();
    const token = await idp.token({ sub: 'svc', scope: ALL_SCOPES });
    // A port that was free a moment ago: nothing answers there.
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const t = await startTestApp({ ...idp.env(), AUTH_JWKS_URL: `http://127.0.0.1:${port}/jwks`, MODULES: 'users' });
    try {
      const res = await t.http.post('/users').set(bearer(token)).send(ada).expect(503);
      expect(res.headers['content-type']).to.match(/problem\+json/);
      expect(res.body.detail).to.match(/identity provider/);
      expect(await t.app.store.headPosition()).to.equal(0);
    } finally {
      await t.stop();
      await idp.close();
    }
  });
});
