// API keys: made, listed and revoked with the admin CLI, used over HTTP; the key is shown once and only its hash is
// kept. Keys in the database at start turn auth on; with nothing configured the start warns that paybus runs open.
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { announceAuth } from '../../src/auth/openAuth.js';
import { ConfigError } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { runAdminCli } from '../../src/ops/adminCli.js';
import { bearer, expectForbidden, expectUnauthorized, TestIdentityProvider } from '../support/auth.js';
import { startAppIn, startTestApp, tempDir, type TestApp, testConfig } from '../support/testApp.js';

async function cli(t: TestApp, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAdminCli(argv, t.app, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The lines a logger wrote, parsed. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('info', new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) }));
  return { log, lines };
}

describe('auth: API keys', () => {
  let t: TestApp;
  afterEach(async () => t.stop());

  it('when a key is made with the CLI, then it is printed once on stdout alone and only its hash is stored', async () => {
    t = await startTestApp({ MODULES: 'users' });
    const made = await cli(t, 'api-keys', 'create', '--scopes', 'users:read users:write', '--name', 'crm-sync');
    expect(made.code).to.equal(0);
    expect(made.out).to.match(/^pbk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(made.err).to.include('only time the key is shown');
    const secret = made.out.split('_').slice(2).join('_');
    const rows = await t.app.storage.all('SELECT * FROM api_keys');
    expect(rows).to.have.length(1);
    expect(JSON.stringify(rows)).to.not.include(secret);
    const listed = await cli(t, 'api-keys', 'list');
    expect(listed.out).to.include('"crm-sync", scopes users:read users:write, acts for any user').and.not.include(secret);
    const json = JSON.parse((await cli(t, 'api-keys', 'list', '--json')).out);
    expect(json.items[0]).to.include({ name: 'crm-sync', userId: null, revokedAt: null }).and.not.have.property('hash');
  });

  it('when the CLI is given an unknown scope, a user that is not an id, or an unknown key to revoke, then it refuses', async () => {
    t = await startTestApp({ MODULES: 'users' });
    expect(await cli(t, 'api-keys', 'create', '--scopes', 'users:read root')).to.include({ code: 2 }).and.have.property('err').that.includes('unknown scope root');
    expect(await cli(t, 'api-keys', 'create')).to.include({ code: 2 });
    expect((await cli(t, 'api-keys', 'create', '--scopes', 'bills:read', '--user', 'ada')).err).to.include('--user needs a user id');
    expect(await cli(t, 'api-keys', 'revoke', '0011223344556677')).to.deep.include({ code: 1, err: 'paybus admin: no API key 0011223344556677' });
    expect(Number(await t.app.storage.value('SELECT COUNT(*) FROM api_keys'))).to.equal(0);
  });

  it('when a key exists at start, then auth is on: the key works over HTTP within its scopes until it is revoked', async () => {
    const dir = tempDir();
    const config = testConfig({ MODULES: 'users' }, dir);
    t = await startAppIn(dir, config);
    expect(t.app.auth.enabled).to.equal(false);
    const key = (await cli(t, 'api-keys', 'create', '--scopes', 'users:write')).out;
    await t.http.get('/users/0190c0de-0000-7000-8000-000000000000').expect(404); // open until the next start
    await t.app.stop();
    t = await startAppIn(dir, config);
    expect(t.app.auth).to.include({ enabled: true, apiKeysAtStart: 1 });
    await t.http.post('/users').set(bearer(key)).send({ email: 'key@auth.test', name: 'Key' }).expect(201);
    expectForbidden(await t.http.get('/users/0190c0de-0000-7000-8000-000000000000').set(bearer(key)));
    expectUnauthorized(await t.http.post('/users').send({ email: 'no@auth.test', name: 'No' }), false);
    const id = key.split('_')[1]!;
    expect((await cli(t, 'api-keys', 'revoke', id)).code).to.equal(0);
    expectUnauthorized(await t.http.post('/users').set(bearer(key)).send({ email: 'late@auth.test', name: 'Late' }), true);
    expect((await cli(t, 'api-keys', 'list')).out).to.include('REVOKED');
  });

  it('when the last key is revoked, then auth stays on at the next start only if something else turns it on', async () => {
    const dir = tempDir();
    const config = testConfig({ MODULES: 'users' }, dir);
    t = await startAppIn(dir, config);
    const made = await t.app.auth.apiKeys.create({ scopes: ['users:read'] });
    await t.app.auth.apiKeys.revoke(made.id);
    expect(await t.app.auth.apiKeys.countActive()).to.equal(0);
    await t.app.stop();
    t = await startAppIn(dir, config);
    expect(t.app.auth.enabled).to.equal(false);
  });
});

describe('auth: what the start says', () => {
  let t: TestApp;
  afterEach(async () => t.stop());

  it('when nothing is configured, then one warning line says paybus runs open; production refuses naming AUTH_JWKS_URL', async () => {
    t = await startTestApp({ MODULES: 'users' });
    const { log, lines } = capture();
    announceAuth(t.app.auth, t.app.config, log);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({ level: 40 });
    expect(lines[0]!.msg).to.match(/^auth is OFF: every route is open/);
    expect(() => announceAuth(t.app.auth, { ...t.app.config, nodeEnv: 'production' }, log)).to.throw(ConfigError, /^unsafe AUTH_JWKS_URL: NODE_ENV=production refuses to run with auth off/);
    await t.http.post('/users').send({ email: 'open@auth.test', name: 'Open' }).expect(201);
  });

  it('when keys or an identity provider turn auth on, then the start line says which', async () => {
    const idp = await TestIdentityProvider.start();
    try {
      t = await startTestApp({ ...idp.env(), MODULES: 'users' });
      await t.app.auth.apiKeys.create({ scopes: ['users:read'] });
      const { log, lines } = capture();
      announceAuth({ ...t.app.auth, apiKeysAtStart: 1 }, t.app.config, log);
      expect(lines).to.have.length(1);
      expect(lines[0]).to.include({ level: 30 });
      expect(lines[0]!.msg).to.equal(`auth is on: access tokens from ${idp.issuer} for ${idp.audience} (keys at ${idp.jwksUrl}), and 1 API key in the database`);
      announceAuth({ ...t.app.auth, jwksUrl: undefined, apiKeysAtStart: 2 }, { ...t.app.config, nodeEnv: 'production' }, log);
      expect(lines[1]!.msg).to.equal('auth is on: 2 API keys in the database');
    } finally {
      await idp.close();
    }
  });
});
