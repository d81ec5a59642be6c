import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { createApp } from '../../src/createApp.js';
import { startTestApp, testConfig } from '../support/testApp.js';
import { databaseEnv } from '../support/testStorage.js';
import { dumpReadModels, wipeReadModels } from './readModels.js';
import { runScenario } from './scenario.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

/** Runs scripts/rebuild.ts as `npm run rebuild` would, with only the variables given. */
async function rebuildScript(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/rebuild.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('npm run rebuild (scripts/rebuild.ts)', () => {
  let dir: string | undefined;
  afterEach(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  it('when the read models of a stopped paybus were lost, then the script rebuilds them and exits 0', async () => {
    const t = await startTestApp();
    dir = t.dir;
    await runScenario(t);
    const live = await dumpReadModels(t.app);
    const events = await t.app.store.headPosition();
    await wipeReadModels(t.app);
    await t.app.stop();

    const env = { ...databaseEnv(dir, path.join(dir, 'paybus.db')), UPLOAD_DIR: path.join(dir, 'uploads'), MAIL_DIR: path.join(dir, 'mail'), SMS_LOG_PATH: path.join(dir, 'sms.log'), LOG_LEVEL: 'silent' };
    const result = await rebuildScript(env);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.match(new RegExp(`^paybus rebuild: \\d+ read models \\(users\\.users, .*\\) rebuilt from ${events} events in [\\d.]+ s; left alone: .*analytics\\.latency.*\\n$`));

    const reopened = await createApp(testConfig({}, dir));
    try {
      expect(await dumpReadModels(reopened)).to.deep.equal(live);
      expect(await reopened.store.headPosition()).to.equal(events);
    } finally {
      await reopened.stop();
    }
  });

  it('when a variable cannot work, then it says which in one line and exits 1', async () => {
    const result = await rebuildScript({ DATABASE_PATH: ':memory:', RETRY_ATTEMPTS: 'many' });
    expect(result.code).to.equal(1);
    expect(result.stderr).to.equal('paybus rebuild: invalid RETRY_ATTEMPTS: must be a whole number\n');
  });

  it('when this process runs only some modules in broker mode, then it refuses: its log holds only their events', async () => {
    const result = await rebuildScript({ DATABASE_PATH: ':memory:', EVENT_TRANSPORT: 'rabbitmq', MODULES: 'notifications,analytics' });
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(/^paybus rebuild: refused: .*lacks the events of users, billing, payments, documents;/);
  });
});
