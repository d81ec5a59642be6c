// Security headers (helmet) on every kind of answer, and error bodies that give nothing away.
import { expect } from 'chai';
import type { Response } from 'supertest';
import { startTestApp, type TestApp } from '../support/testApp.js';
import type { ModuleDefinition } from '../../src/runtime/module.js';

/** A module whose route fails the way a bug would: an Error naming an internal path, with a stack. Module names are
 * a closed list, so it stands in for analytics, which this app does not load. */
const brokenModule: ModuleDefinition = {
  name: 'analytics',
  migrations: [],
  create: () => ({
    routes: (router) => {
      router.get('/broken', () => {
        throw new Error('ENOENT: no such file or directory, open /srv/paybus/var/secret.db');
      });
    },
  }),
};

function expectHardened(res: Response): void {
  expect(res.headers['x-content-type-options']).to.equal('nosniff');
  expect(res.headers['x-frame-options']).to.equal('SAMEORIGIN');
  expect(res.headers['strict-transport-security']).to.match(/max-age=\d+/);
  expect(res.headers['referrer-policy']).to.equal('no-referrer');
  expect(res.headers['content-security-policy']).to.include("frame-ancestors 'none'");
  expect(res.headers['x-powered-by']).to.equal(undefined);
}

describe('security: headers and error bodies', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ MODULES: 'users,billing,payments,documents,notifications' }, { extraModules: [brokenModule] });
  });
  after(() => t.stop());

  it('when a request succeeds, then the answer carries the security headers', async () => {
    const res = await t.http.get('/health').expect(200);
    expectHardened(res);
    expect(res.headers['content-security-policy']).to.include("default-src 'none'");
  });

  it('when the route is unknown, then the 404 problem carries them too', async () => {
    const res = await t.http.get('/no/such/route').expect(404);
    expect(res.headers['content-type']).to.match(/application\/problem\+json/);
    expectHardened(res);
  });

  it('when the body is malformed JSON, then the 400 problem carries them too', async () => {
    const res = await t.http.post('/users').set('content-type', 'application/json').send('{"email":').expect(400);
    expect(res.headers['content-type']).to.match(/application\/problem\+json/);
    expectHardened(res);
  });

  it('when a JSON body is larger than the limit, then the answer is 413 problem+json', async () => {
    const res = await t.http
      .post('/users')
      .set('content-type', 'application/json')
      .send(JSON.stringify({ email: 'big@example.com', name: 'x'.repeat(200_000) }))
      .expect(413);
    expect(res.headers['content-type']).to.match(/application\/problem\+json/);
    expect(res.body).to.include({ status: 413 });
    expectHardened(res);
    const events = await t.http.get('/events').expect(200);
    expect(events.body.items).to.have.length(0);
  });

  it('when a route fails unexpectedly, then the 500 names no stack, path or internal message', async () => {
    const res = await t.http.get('/broken').expect(500);
    expectHardened(res);
    expect(res.headers['content-type']).to.match(/application\/problem\+json/);
    expect(res.text).to.not.match(/\/srv\/|ENOENT|secret\.db|\bat .+:\d+:\d+/);
    expect(res.body).to.have.keys('type', 'title', 'status', 'detail');
  });

  it('when the dashboard is served, then its own stricter CSP replaces the API one', async () => {
    const res = await t.http.get('/dashboard').expect(200);
    expect(res.headers['content-security-policy']).to.include("script-src 'self'");
    expect(res.headers['x-content-type-options']).to.equal('nosniff');
  });
});
