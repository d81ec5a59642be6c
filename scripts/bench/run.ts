// `npm run bench [-- --quick] [--only NAME] [--out FILE]`: paybus layers against their raw library baselines.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { consumeInbox, relayPublish } from './cases/broker.js';
import { relayFailover } from './cases/failover.js';
import { growthAppend, growthBacklog, growthRead } from './cases/growth.js';
import { httpPayments, pgHttpPayments } from './cases/http.js';
import { latencyBroker, latencyBus } from './cases/latency.js';
import { busPublish, storeAppendBatch, storeAppendSingle } from './cases/core.js';
import { overloadRss } from './cases/overload.js';
import { pgAppendBatch, pgAppendSingle } from './cases/pgAppend.js';
import { replicasHttpPayments } from './cases/replicas.js';
import { reactionsSmtp } from './cases/smtp.js';
import { type BenchCase, type BenchResult, table } from './harness.js';
import { postgresVersion } from './postgres.js';
import { errorMessage } from '../../src/errors.js';

const cases: BenchCase[] = [
  busPublish,
  storeAppendSingle,
  storeAppendBatch,
  pgAppendSingle,
  pgAppendBatch,
  relayPublish,
  consumeInbox,
  httpPayments,
  pgHttpPayments,
  reactionsSmtp,
  overloadRss,
  replicasHttpPayments,
  relayFailover,
  latencyBus,
  latencyBroker,
  growthAppend,
  growthRead,
  growthBacklog,
];

function parseArgs(argv: string[]) {
  const args = { quick: false, only: undefined as string | undefined, out: undefined as string | undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--only') args.only = argv[++i];
    else if (a === '--out') args.out = argv[++i];
    else throw new Error(`unknown argument ${a}; use --quick, --only NAME, --out FILE`);
  }
  return args;
}

function rabbitVersion(): string | null {
  try {
    const out = execFileSync('rabbitmqctl', ['version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10000 });
    return out.trim() || null;
  } catch {
    return null;
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  // --only takes a case or any row it gives (http.payments.drained runs http.payments); it runs even when fullOnly.
  const rowsOf = (c: BenchCase) => c.rows ?? [c.name];
  const selected = cases.filter((c) => (args.only ? c.name === args.only || rowsOf(c).includes(args.only) : !(args.quick && c.fullOnly)));
  if (selected.length === 0) throw new Error(`no bench named ${args.only}; known: ${cases.flatMap(rowsOf).join(', ')}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paybus-bench-'));
  const results: BenchResult[] = [];
  try {
    for (const c of selected) {
      process.stderr.write(`running ${c.name}…\n`);
      const started = performance.now();
      results.push(...[await c.run({ quick: args.quick, dir })].flat());
      process.stderr.write(`  ${c.name} took ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    node: process.version,
    sqlite: (new Database(':memory:').prepare('SELECT sqlite_version() AS v').get() as { v: string }).v,
    rabbitmq: rabbitVersion(),
    postgres: await postgresVersion(),
  };
  console.log(table(results));
  if (args.out) fs.writeFileSync(args.out, `${JSON.stringify({ machine, results: results.map(({ name, unit, ours, baseline, ratio, target, pass, notes, skipped }) => ({ name, unit, ours, baseline, ratio, target, pass, notes, skipped })) }, null, 2)}\n`);
}

main().catch((error) => {
  console.error(`bench: ${errorMessage(error)}`);
  process.exit(1);
});
