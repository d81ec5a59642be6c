// Off only on purpose, as main runs it: open with one warning line; production refuses to run open, naming
// AUTH_JWKS_URL; a key made with the admin CLI turns auth on at the next start, and the start log says so.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { tempDir } from '../support/testApp.js';
import { databaseEnv } from '../support/testStorage.js';

const STRONG = 'a3f9c2e71b5d48f0a3f9c2e71b5d48f0';

interface Run {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function run(script: string, args: string[], env: Record<string, string>): Run {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.resolve(script), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let [out, err] = ['', ''];
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('close', resolve));
  return { proc, stdout: () => out, stderr: () => err, exited };
}

/** Resolves with the port once main says it listens; rejects if it exits first. */
async function listening(r: Run): Promise<number> {
  for (;;) {
    const match = /paybus listening on http:\/\/localhost:(\d+)/.exec(r.stdout());
    if (match) return Number(match[1]);
    const done = await Promise.race([r.exited.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 50))]);
    if (done) throw new Error(`main exited: ${r.stderr()}`);
  }
}

const logLines = (text: string) => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string });

describe('auth: starting main', function () {
  this.timeout(60_000);
  let dir: string;
  let env: Record<string, string>;
  beforeEach(() => {
    dir = tempDir();
    env = { ...databaseEnv(dir, path.join(dir, 'paybus.db')), PORT: '0', MODULES: 'users', LOG_LEVEL: 'info', UPLOAD_DIR: path.join(dir, 'up'), MAIL_DIR: path.join(dir, 'mail') };
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('when nothing turns auth on, then main serves with one warning line; in production it exits 1 with one line naming AUTH_JWKS_URL', async () => {
    const open = run('src/main.ts', [], { ...env, NODE_ENV: 'development' });
    await listening(open);
    open.proc.kill('SIGTERM');
    expect(await open.exited).to.equal(0);
    const warnings = logLines(open.stdout()).filter((l) => l.level >= 40);
    expect(warnings.map((l) => l.msg)).to.deep.equal(['auth is OFF: every route is open to whoever reaches this port; set AUTH_JWKS_URL or make an API key (npm run admin -- api-keys create) to turn it on']);

    const prod = run('src/main.ts', [], { ...env, NODE_ENV: 'production', ADMIN_TOKEN: STRONG });
    expect(await prod.exited).to.equal(1);
    expect(prod.stdout()).to.not.include('paybus listening');
    const lines = prod.stderr().trim().split('\n');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^paybus: unsafe AUTH_JWKS_URL: NODE_ENV=production refuses to run with auth off/);
  });

  it('when the admin CLI makes a key, then production starts with auth on, says so, and refuses callers without it', async () => {
    const prodEnv = { ...env, NODE_ENV: 'production', ADMIN_TOKEN: STRONG };
    const made = run('scripts/admin.ts', ['api-keys', 'create', '--scopes', 'users:read'], prodEnv);
    expect(await made.exited, made.stderr()).to.equal(0);
    const key = made.stdout().trim();
    expect(key).to.match(/^pbk_/);

    const main = run('src/main.ts', [], prodEnv);
    const port = await listening(main);
    try {
      expect(logLines(main.stdout()).map((l) => l.msg)).to.include('auth is on: 1 API key in the database');
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/health`)).status).to.equal(200);
      expect((await fetch(`${base}/users/0190c0de-0000-7000-8000-000000000000`)).status).to.equal(401);
      expect((await fetch(`${base}/users/0190c0de-0000-7000-8000-000000000000`, { headers: { authorization: `Bearer ${key}` } })).status).to.equal(404);
    } finally {
      main.proc.kill('SIGTERM');
      await main.exited;
    }
    // The secret is base64url, so it may hold '_' itself: everything after the id is the secret.
    expect(main.stdout()).to.not.include(key.split('_').slice(2).join('_'));
  });
});
