// replicas.http.payments: two API replicas (src/main.ts as `npm start` runs it, memory mode) on one PostgreSQL schema
// against one of them alone, in the same run: does a second replica add throughput on this machine? No target: on
// 2 cores, shared with PostgreSQL and the load generator, the honest answer is the figure.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { MODULE_NAMES } from '../../../src/config.js';
import { createApp } from '../../../src/createApp.js';
import { benchConfig, silentLog } from '../benchApp.js';
import { median, reportedRatio } from '../harness.js';
import { type BenchBills, prepareHistory } from '../history.js';
import { benchAdminToken, drainedAt } from '../paybusOps.js';
import { benchSchemas, postgresCase, urlWithSchema } from '../postgres.js';
import { MainProcess } from '../servers/mainProcess.js';
import { dispenser, payRequests, writeBills } from './http.js';

const CONNECTIONS = 20;
const WARMUP = 300;

/** One autocannon run against `port`: 2xx answered and when the last answer came. */
async function load(port: number, connections: number, amount: number, nextBill: () => string): Promise<{ ok: number; lastAt: number }> {
  const run = autocannon({ url: `http://127.0.0.1:${port}/payments`, method: 'POST', connections, amount, sampleInt: 100, requests: payRequests(nextBill) });
  let lastAt = performance.now();
  run.on('response', () => void (lastAt = performance.now()));
  const r = await run;
  if (r.non2xx > 0 || r.errors > 0 || r.timeouts > 0) throw new Error(`port ${port}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts in ${amount} requests`);
  return { ok: r['2xx'], lastAt };
}

export const replicasHttpPayments = postgresCase('replicas.http.payments', 'req/s', 'reported', async ({ quick, dir }) => {
  const perRound = quick ? 400 : 2_000;
  const rounds = quick ? 1 : 3;
  const schemas = await benchSchemas('replicas', ['paybus']);
  const url = urlWithSchema(schemas.names[0]!);
  const bills = writeBills(dir, 'replicas-bills', 2 * WARMUP + 2 * rounds * perRound + 4 * rounds * CONNECTIONS * 4);
  const adminToken = benchAdminToken();
  const replicas: MainProcess[] = [];
  try {
    // The bills as history, written once into the shared schema before either replica starts.
    const setup = await createApp(benchConfig(dir, 'replicas-setup', { DATABASE_URL: url }, [...MODULE_NAMES]), { log: silentLog });
    await prepareHistory(setup, JSON.parse(fs.readFileSync(bills.file, 'utf8')) as BenchBills);
    await setup.stop();
    const env = (n: number) => ({
      DATABASE_URL: url,
      EVENT_TRANSPORT: 'memory',
      MODULES: 'all',
      ADMIN_TOKEN: adminToken,
      PAYMENT_GATEWAY_LATENCY_MS: '0',
      MAIL_DIR: path.join(dir, `replica-${n}-mail`),
      UPLOAD_DIR: path.join(dir, `replica-${n}-uploads`),
      SMS_LOG_PATH: path.join(dir, `replica-${n}-sms.log`),
    });
    replicas.push(await MainProcess.start(env(1)), await MainProcess.start(env(2)));
    const [a, b] = replicas as [MainProcess, MainProcess];
    const nextBill = dispenser(bills.billIds);
    let paid = 0;
    // Each round ends once every reaction (in whichever replica holds it) is done, so none spills into the next.
    const drained = async (ok: number) => {
      paid += ok;
      await drainedAt(a.port, adminToken, paid);
    };
    const one = async () => {
      const start = performance.now();
      const r = await load(a.port, CONNECTIONS, perRound, nextBill);
      await drained(r.ok);
      return r.ok / ((r.lastAt - start) / 1000);
    };
    // The same connections in all, half on each replica, as a load balancer would spread them.
    const two = async () => {
      const start = performance.now();
      const rs = await Promise.all([a, b].map((replica) => load(replica.port, CONNECTIONS / 2, perRound / 2, nextBill)));
      await drained(rs[0]!.ok + rs[1]!.ok);
      const each = rs.map((r) => r.ok / ((r.lastAt - start) / 1000));
      return { total: (rs[0]!.ok + rs[1]!.ok) / ((Math.max(rs[0]!.lastAt, rs[1]!.lastAt) - start) / 1000), each };
    };
    await drained((await load(a.port, CONNECTIONS, WARMUP, nextBill)).ok);
    await drained((await load(b.port, CONNECTIONS, WARMUP, nextBill)).ok);
    const single: number[] = [];
    const pair: { total: number; each: number[] }[] = [];
    for (let i = 0; i < rounds; i++) {
      single.push(await one());
      pair.push(await two());
    }
    const total = median(pair.map((p) => p.total));
    const eachA = median(pair.map((p) => p.each[0]!));
    const eachB = median(pair.map((p) => p.each[1]!));
    const notes =
      `two replicas (src/main.ts, memory mode, all modules) on one PostgreSQL schema, ${CONNECTIONS / 2} connections on each, against the first alone with ${CONNECTIONS}; ` +
      `${perRound.toLocaleString('en-US')} POST /payments a round, ${rounds} rounds alternating; with two: replica 1 ${Math.round(eachA)} req/s, replica 2 ${Math.round(eachB)} req/s; ` +
      `the second replica runs through the one-replica rounds too, idle but for the reactions whose lease it holds; ${os.cpus().length} cores shared with PostgreSQL and autocannon`;
    return reportedRatio('replicas.http.payments', 'req/s', total, median(single), notes);
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
    await schemas.drop();
  }
});
