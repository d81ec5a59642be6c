// Keeps `npm run bench` from rotting: the quick bus.publish case runs for real and its table and JSON have their shape;
// the raw payments baseline, built on paybus's migrations, still starts and answers.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { BENCH_AMOUNT, writeBills } from '../../scripts/bench/cases/http.js';
import { ChildServer } from '../../scripts/bench/servers/child.js';
import { tempDir } from '../support/testApp.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

describe('npm run bench', function () {
  this.timeout(120_000); // not a timing assertion: room for a slow shared machine to start tsx and run the case

  let dir: string;
  beforeEach(() => (dir = tempDir('paybus-bench-test-')));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('when run with --quick --only bus.publish, prints the row and writes the JSON of the issue', async () => {
    const out = path.join(dir, 'bench.json');
    const { stdout } = await run('npm', ['run', 'bench', '--', '--quick', '--only', 'bus.publish', '--out', out], { cwd: ROOT, maxBuffer: 10 * 1024 * 1024 });

    const row = stdout.split('\n').find((line) => line.startsWith('| bus.publish '));
    expect(row, stdout).to.be.a('string');
    expect(row).to.match(/\| events\/s \|/);

    const json = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(json.machine).to.include.keys('cpus', 'node', 'sqlite', 'rabbitmq');
    expect(json.machine.cpus).to.be.a('number').above(0);
    expect(json.machine.node).to.equal(process.version);
    expect(json.results).to.have.length(1);
    const [result] = json.results;
    expect(result).to.include.keys('name', 'unit', 'ours', 'baseline', 'ratio');
    expect(result.name).to.equal('bus.publish');
    expect(result.ours).to.be.a('number').above(0);
    expect(result.baseline).to.be.a('number').above(0);
    expect(result.ratio).to.be.closeTo(result.ours / result.baseline, 1e-9);
  });

  it('when the raw payments baseline starts on the current migrations, then it answers a payment as paybus would', async () => {
    // It builds its tables from paybus's own migrations: a new one must not break the baseline of http.payments.
    const bills = writeBills(dir, 'raw-bills', 1);
    const raw = await ChildServer.start(path.join(ROOT, 'scripts/bench/baselines/rawPaymentsServer.ts'), [dir, bills.file]);
    try {
      const pay = { billId: bills.billIds[0], amount: BENCH_AMOUNT, currency: 'EUR', source: 'tok_visa' };
      const post = () => fetch(`http://127.0.0.1:${raw.port}/payments`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'k1' }, body: JSON.stringify(pay) });
      const first = await post();
      expect(first.status).to.equal(201);
      expect(((await first.json()) as { billId: string }).billId).to.equal(bills.billIds[0]);
      expect((await post()).status, 'the key replays').to.equal(201);
    } finally {
      await raw.stop();
    }
  });

  it('when asked for a case that does not exist, fails naming the known rows, those of multi-row cases too', async () => {
    const error = await run('npm', ['run', 'bench', '--', '--only', 'no.such.case'], { cwd: ROOT }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(error, 'the bench should have failed').to.not.equal(undefined);
    expect(error!.code).to.equal(1);
    expect(error!.stderr).to.contain('no bench named no.such.case').and.contain('bus.publish');
    const known = /known: (.*)/.exec(error!.stderr)?.[1]?.split(', ') ?? [];
    expect(known).to.include.members(['http.payments', 'http.payments.drained', 'http.payments.core', 'reactions.smtp', 'overload.rss', 'replicas.http.payments', 'relay.failover']);
  });
});
