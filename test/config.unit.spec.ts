import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../src/config.js';
import { createUserCreatedEvent, EventSchemaError } from '../src/events/catalog.js';
import { tempDir } from './support/testApp.js';

function runMain(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...process.env, ...env } });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => {
      stdout += d;
      if (stdout.includes('paybus listening')) child.kill('SIGTERM');
    });
    // 'close', not 'exit': exit can fire before the last stdout chunk has been read.
    child.on('close', (code) => resolve({ code, stderr, stdout }));
  });
}

describe('config', () => {
  it('has the defaults of CONTRACT.md', () => {
    const c = loadConfig({});
    expect(c).to.include({ port: 3000, databasePath: './var/paybus.db', eventTransport: 'memory', mailFrom: 'paybus <no-reply@paybus.local>' });
    expect(c.modules).to.deep.equal(['users', 'billing', 'payments', 'documents', 'notifications', 'analytics']);
    expect(c.rabbitmq).to.include({ url: 'amqp://localhost', exchange: 'paybus.events', queueType: 'classic', prefetch: 50 });
    expect(c.retry).to.deep.equal({ attempts: 5, minMs: 100, maxMs: 30000 });
    expect(c.maxUploadBytes).to.equal(10485760);
  });

  it('refuses a value that cannot work, naming the variable and not echoing secrets', () => {
    expect(() => loadConfig({ EVENT_TRANSPORT: 'carrier-pigeon' })).to.throw(ConfigError, /EVENT_TRANSPORT/);
    expect(() => loadConfig({ PORT: 'eighty' })).to.throw(ConfigError, /PORT/);
    expect(() => loadConfig({ MODULES: 'users,telepathy' })).to.throw(ConfigError, /MODULES.*telepathy/);
    expect(() => loadConfig({ RETRY_ATTEMPTS: '0' })).to.throw(ConfigError, /RETRY_ATTEMPTS/);
    const bad = () => loadConfig({ RABBITMQ_URL: 'http://guest:s3cret@host' });
    expect(bad).to.throw(ConfigError, /RABBITMQ_URL/);
    expect(bad).to.not.throw(/s3cret/);
  });

  it('stops `npm start` with one clear line for a bad variable', async function () {
    this.timeout(30000);
    const run = await runMain({ EVENT_TRANSPORT: 'carrier-pigeon' });
    expect(run.code).to.equal(1);
    expect(run.stderr.trim().split('\n')).to.have.length(1);
    expect(run.stderr).to.match(/^paybus: invalid EVENT_TRANSPORT/);
  });

  it('starts, then exits 0 on SIGTERM', async function () {
    this.timeout(30000);
    const dir = tempDir();
    const run = await runMain({ PORT: '0', DATABASE_PATH: `${dir}/p.db`, LOG_LEVEL: 'info' });
    expect(run.stdout).to.include('paybus listening');
    expect(run.stdout).to.include('shutting down');
    expect(run.code).to.equal(0);
  });
});

describe('event catalog', () => {
  it('refuses at creation an event that does not fit its schema, naming the field', () => {
    expect(() => createUserCreatedEvent('u1', 'not-an-email', 'A', null)).to.throw(EventSchemaError, /payload\.email/);
  });
});
