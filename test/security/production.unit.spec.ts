// NODE_ENV=production refuses the settings that are only safe on a laptop, with one line naming the problem.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/config.js';
import { tempDir } from '../support/testApp.js';

const STRONG = 'a3f9c2e71b5d48f0a3f9c2e71b5d48f0';
const prod = (env: Record<string, string>) => () => loadConfig({ NODE_ENV: 'production', ADMIN_TOKEN: STRONG, ...env });

function runMain(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('security: production start checks', () => {
  it('when ADMIN_TOKEN is unset, then production refuses naming ADMIN_TOKEN', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).to.throw(ConfigError, /ADMIN_TOKEN.*set/);
    expect(() => loadConfig({ NODE_ENV: 'production', ADMIN_TOKEN: '' })).to.throw(ConfigError, /ADMIN_TOKEN/);
  });

  it('when ADMIN_TOKEN is short, then production refuses without echoing it', () => {
    const short = prod({ ADMIN_TOKEN: 'hunter2' });
    expect(short).to.throw(ConfigError, /ADMIN_TOKEN.*32 characters/);
    expect(short).to.not.throw(/hunter2/);
  });

  it('when broker mode has no credentials or guest/guest, then production refuses', () => {
    expect(prod({ EVENT_TRANSPORT: 'rabbitmq' })).to.throw(ConfigError, /RABBITMQ_URL.*credentials/);
    expect(prod({ EVENT_TRANSPORT: 'rabbitmq', RABBITMQ_URL: 'amqp://guest:guest@mq.internal' })).to.throw(ConfigError, /guest/);
    expect(prod({ EVENT_TRANSPORT: 'rabbitmq', RABBITMQ_URL: 'amqp://svc:s3cret@mq.internal', RABBITMQ_USER: 'guest', RABBITMQ_PASS: 'guest' })).to.throw(ConfigError, /guest/);
    expect(prod({ EVENT_TRANSPORT: 'rabbitmq', RABBITMQ_URL: 'amqp://svc@mq.internal' })).to.throw(ConfigError, /credentials/);
  });

  it('when the settings are safe, then production starts; memory mode needs no broker credentials', () => {
    expect(prod({})().nodeEnv).to.equal('production');
    expect(prod({ EVENT_TRANSPORT: 'rabbitmq', RABBITMQ_URL: 'amqp://svc:s3cret@mq.internal' })().eventTransport).to.equal('rabbitmq');
    expect(prod({ EVENT_TRANSPORT: 'rabbitmq', RABBITMQ_USER: 'svc', RABBITMQ_PASS: 's3cret' })().rabbitmq.user).to.equal('svc');
  });

  it('when not in production, then the laptop defaults still start', () => {
    expect(loadConfig({ EVENT_TRANSPORT: 'rabbitmq' }).adminToken).to.equal(undefined);
    expect(loadConfig({ NODE_ENV: 'test', RABBITMQ_URL: 'amqp://guest:guest@localhost' }).nodeEnv).to.equal('test');
  });

  it('when main starts in production with guest/guest, then it exits 1 with one line naming the problem', async function () {
    this.timeout(30_000);
    const dir = tempDir();
    const { code, stderr } = await runMain({
      NODE_ENV: 'production',
      ADMIN_TOKEN: STRONG,
      EVENT_TRANSPORT: 'rabbitmq',
      RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:5672',
      DATABASE_PATH: path.join(dir, 'p.db'),
      PORT: '0',
    });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(code).to.equal(1);
    const lines = stderr.trim().split('\n');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^paybus: unsafe RABBITMQ_USER: .*guest\/guest/);
  });
});
