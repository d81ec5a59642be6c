import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { runAdminCli } from '../../src/ops/adminCli.js';
import { startTestApp, type TestApp } from '../support/testApp.js';
import { databaseEnv } from '../support/testStorage.js';
import { opsProbeModule, probeControl, type ProbeControl } from './support/opsProbe.js';

describe('admin CLI: npm run admin -- dead-letters …', () => {
  let t: TestApp;
  let control: ProbeControl;
  afterEach(async () => t && (await t.stop()));

  async function withDeadLetters(count: number) {
    control = probeControl();
    t = await startTestApp({ MODULES: 'users', RETRY_ATTEMPTS: '2' }, { extraModules: [opsProbeModule(control)] });
    for (let i = 0; i < count; i++) await t.http.post('/users').send({ email: `${randomUUID()}@cli.test`, name: `poison ${i}` }).expect(201);
    await t.settle();
    return (await t.app.deadLetters.find()).map((d) => d.id);
  }
  async function run(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runAdminCli(argv, t.app, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('lists dead letters with their error, as text or JSON', async () => {
    const ids = await withDeadLetters(2);
    const text = await run('dead-letters', 'list');
    expect(text.code).to.equal(0);
    expect(text.out).to.include(ids[0]).and.include(ids[1]).and.include('downstream refused the event').and.include('2 of 2 dead letters');
    const json = await run('dead-letters', 'list', '--json', '--subscriber', 'opsprobe.flaky', '--limit', '1');
    expect(JSON.parse(json.out)).to.deep.include({ total: 2 }).and.to.have.property('items').with.length(1);
  });

  it('retries one: exit 1 while it fails again, 0 once it is handled and removed', async () => {
    const [id] = await withDeadLetters(1);
    const failed = await run('dead-letters', 'retry', id!);
    expect(failed.code).to.equal(1);
    expect(failed.out).to.include('failed again (attempts=3)');
    control.poisonFails = false;
    const handled = await run('dead-letters', 'retry', id!);
    expect(handled).to.include({ code: 0 });
    expect(handled.out).to.include('handled; dead letter removed');
    expect(await t.app.deadLetters.find()).to.deep.equal([]);
    expect(await run('dead-letters', 'retry', id!)).to.include({ code: 1, err: `paybus admin: no dead letter ${id}` });
  });

  it('retries all, and refuses an unknown command with the usage', async () => {
    await withDeadLetters(2);
    control.poisonFails = false;
    const all = await run('dead-letters', 'retry-all');
    expect(all.code).to.equal(0);
    expect(all.out).to.include('retried 2: 2 handled, 0 failed again');
    const bad = await run('dead-letters', 'explode');
    expect(bad.code).to.equal(2);
    expect(bad.err).to.include('usage: npm run admin');
  });

  it('runs as a script on the configured database, without HTTP', async () => {
    const [id] = await withDeadLetters(1);
    const env = { ...process.env, ...databaseEnv(t.dir, path.join(t.dir, 'paybus.db')), MODULES: 'users', LOG_LEVEL: 'silent' };
    const exec = promisify(execFile);
    const listed = await exec(process.execPath, ['--import', 'tsx', 'scripts/admin.ts', 'dead-letters', 'list'], { env });
    expect(listed.stdout).to.include(id).and.include('1 of 1 dead letters');
    // The probe's subscriber is not among MODULES in that process: it says so instead of pretending to retry.
    const retried = await exec(process.execPath, ['--import', 'tsx', 'scripts/admin.ts', 'dead-letters', 'retry', id!], { env }).catch((e) => e);
    expect(retried.code).to.equal(1);
    expect(retried.stderr).to.include('subscriber opsprobe.flaky');
  });
});
