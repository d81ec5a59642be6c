// http.payments (with .drained, .peak_rss_mb and .core) and pg.http.payments: POST /payments end to end against a
// hand-written express 5 + better-sqlite3 route making the same durable writes, each server in its own process.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import autocannon, { type Options } from 'autocannon';
import { type BenchCase, infoResult, interleave, median, ratioResult, reportedRatio } from '../harness.js';
import type { BenchBills } from '../history.js';
import { benchAdminToken, drainedAt } from '../paybusOps.js';
import { benchSchemas, postgresCase, urlWithSchema } from '../postgres.js';
import { ChildServer } from '../servers/child.js';

const CONNECTIONS = 20;
/** What every prepared bill is for, and every bench payment pays. */
export const BENCH_AMOUNT = 12345;
const USERS = 100;
const WARMUP = 300;
const here = import.meta.dirname;

/** POST /payments paying the next bill, with a fresh Idempotency-Key, as autocannon sets each request up. */
export const payRequests = (nextBill: () => string): NonNullable<Options['requests']> => [
  {
    setupRequest: (req) => ({
      ...req,
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify({ billId: nextBill(), amount: BENCH_AMOUNT, currency: 'EUR', source: 'tok_visa' }),
    }),
  },
];

/** One server under test: where it listens, and for paybus how to ask whether its reactions are done. */
interface Target {
  server: ChildServer;
  adminToken?: string;
  /** Payments it has answered with 2xx so far. */
  paid: number;
  /** Without analytics to count them (the core server): waits for its reactions through the server's own idle. */
  settle?: () => Promise<void>;
}

/**
 * Sends `count` POST /payments, each with the next bill id and a fresh Idempotency-Key, refusing any answer but 2xx;
 * returns the rate answered. For paybus it also pushes to `drained` the rate counted until paybus said every reaction
 * (bill paid, mails, analytics) was done (see drainedAt); waiting for that also keeps the work out of the next round,
 * which is the other side's.
 */
async function payRate(target: Target, count: number, nextBill: () => string, drained: number[] = []): Promise<number> {
  const { server, adminToken } = target;
  const port = server.port;
  const start = performance.now();
  const run = autocannon({
    url: `http://127.0.0.1:${port}/payments`,
    method: 'POST',
    connections: CONNECTIONS,
    amount: count,
    sampleInt: 100,
    requests: payRequests(nextBill),
  });
  // Timed to the last response: autocannon's own duration ends at its next sampling tick (by default a whole
  // second), which capped a fast server at `count` requests a second.
  let lastResponse = start;
  run.on('response', () => void (lastResponse = performance.now()));
  const result = await run;
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(`port ${port}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts in ${count} requests`);
  }
  target.paid += result['2xx'];
  if (adminToken) drained.push(result['2xx'] / (((await drainedAt(port, adminToken, target.paid)) - start) / 1000));
  await target.settle?.();
  return result['2xx'] / ((lastResponse - start) / 1000);
}

/** Hands out ids in order; autocannon may prepare a few requests it never sends, so each list has slack. */
export function dispenser(ids: readonly string[]): () => string {
  let i = 0;
  return () => {
    if (i >= ids.length) throw new Error('the bench ran out of prepared bills');
    return ids[i++]!;
  };
}

/**
 * A bills file (see ../history.ts) of `count` fresh bills of USERS users, for a server to pay. Many users, as in
 * life: a user's mails go out one after another (in order), different users' side by side.
 */
export function writeBills(dir: string, name: string, count: number): { file: string; billIds: string[] } {
  const billIds = Array.from({ length: count }, () => randomUUID());
  const userIds = Array.from({ length: USERS }, () => randomUUID());
  const file = path.join(dir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify({ userIds, billIds, amount: BENCH_AMOUNT, currency: 'EUR' } satisfies BenchBills));
  return { file, billIds };
}

/** The modules of the core server: a payment's request path and the reactions it needs (billing pays the bill). */
const CORE_MODULES = ['users', 'billing', 'payments'];

interface PaymentsRun {
  ours: number;
  baseline: number;
  /** Median rate of paybus with CORE_MODULES only, in the same rounds (SQLite runs only). */
  core?: number;
  /** Median rate of paybus counted until its reactions were done too, over the same rounds as `ours`. */
  drained: number;
  /** Peak RSS of the paybus process, MB. */
  rssMb: number;
  perRound: number;
}

/**
 * The paybus server (on SQLite in `dir`, or on `databaseUrl`) against the raw baseline, warmed up, then interleaved.
 * On SQLite a third server, paybus with CORE_MODULES only in a folder of its own, takes its turn in each round too.
 */
async function paymentsRun(quick: boolean, dir: string, databaseUrl?: string): Promise<PaymentsRun> {
  const perRound = quick ? 400 : 2_000;
  const rounds = quick ? 2 : 3;
  const needed = WARMUP + rounds * perRound + (rounds + 1) * CONNECTIONS * 4;
  const oursBills = writeBills(dir, 'http-bills', needed);
  const rawBills = writeBills(dir, 'http-raw-bills', needed);
  const adminToken = benchAdminToken();
  const server = await ChildServer.start(path.join(here, '../servers/paybusServer.ts'), [dir, oursBills.file, ...(databaseUrl ? [databaseUrl] : [])], {
    BENCH_PAYBUS_ENV: JSON.stringify({ ADMIN_TOKEN: adminToken }),
  });
  const ours: Target = { server, adminToken, paid: 0 };
  const coreDir = path.join(dir, 'http-core');
  let raw: ChildServer | undefined;
  let core: ChildServer | undefined;
  try {
    raw = await ChildServer.start(path.join(here, '../baselines/rawPaymentsServer.ts'), [dir, rawBills.file]);
    const rawTarget: Target = { server: raw, paid: 0 };
    const oursBill = dispenser(oursBills.billIds);
    const rawBill = dispenser(rawBills.billIds);
    await payRate(ours, WARMUP, oursBill);
    await payRate(rawTarget, WARMUP, rawBill);
    let coreRound: (() => Promise<number>) | undefined;
    if (databaseUrl === undefined) {
      fs.mkdirSync(coreDir, { recursive: true });
      const coreBills = writeBills(coreDir, 'http-bills', needed);
      const coreServer = await ChildServer.start(path.join(here, '../servers/paybusServer.ts'), [coreDir, coreBills.file], { BENCH_MODULES: CORE_MODULES.join(',') });
      core = coreServer;
      const coreTarget: Target = { server: coreServer, paid: 0, settle: () => coreServer.idle() };
      const coreBill = dispenser(coreBills.billIds);
      await payRate(coreTarget, WARMUP, coreBill);
      coreRound = () => payRate(coreTarget, perRound, coreBill);
    }
    const drained: number[] = [];
    const cores: number[] = [];
    const r = await interleave(
      rounds,
      () => payRate(ours, perRound, oursBill, drained),
      async () => {
        // The core server's round goes between the other two, so all three meet the same drift.
        if (coreRound) cores.push(await coreRound());
        return payRate(rawTarget, perRound, rawBill);
      },
    );
    return { ...r, core: coreRound ? median(cores) : undefined, drained: median(drained), rssMb: (await server.maxRss()) / 1024 / 1024, perRound };
  } finally {
    await server.stop();
    await raw?.stop();
    await core?.stop();
    // Each case starts its raw server on a fresh file.
    for (const f of fs.readdirSync(dir)) if (f.startsWith('http-raw') || f.startsWith('http-bills')) fs.rmSync(path.join(dir, f), { force: true });
    fs.rmSync(coreDir, { recursive: true, force: true });
  }
}

const LOAD = `${CONNECTIONS} connections, autocannon, each request paying a fresh bill with a fresh Idempotency-Key`;

export const httpPayments: BenchCase = {
  name: 'http.payments',
  rows: ['http.payments', 'http.payments.drained', 'http.payments.peak_rss_mb', 'http.payments.core'],
  async run({ quick, dir }) {
    const r = await paymentsRun(quick, dir);
    const notes = `${LOAD}, ${r.perRound.toLocaleString('en-US')} a round; gateway latency 0 ms; baseline: express 5 + better-sqlite3, idempotency + payment + event + outbox rows in one transaction`;
    return [
      ratioResult('http.payments', 'req/s', r.ours, r.baseline, 0.6, notes),
      ratioResult('http.payments.drained', 'req/s', r.drained, r.ours, 0.8, 'paybus counted until its reactions were done (analytics had counted each payment\'s payment.success, bill.paid and notification.sent; /admin/subscribers: nothing pending), against its answered rate in the same rounds'),
      infoResult('http.payments.peak_rss_mb', 'MB', r.rssMb, 'peak RSS of the paybus process over the HTTP run (all modules, memory mode)'),
      reportedRatio(
        'http.payments.core',
        'req/s',
        r.core!,
        r.baseline,
        `paybus with ${CORE_MODULES.join(', ')} only (billing still pays each bill), in its own process, a round of its own beside each of the others: what the request path adds without notifications, analytics and documents reacting on the same thread`,
      ),
    ];
  },
};

/**
 * The same load with paybus on PostgreSQL (a fresh schema). Reported without a target or a ratio: the only baseline
 * at hand is express + better-sqlite3, another engine, so a ratio would mix paybus's cost with the engine's. Its
 * figure from the same run, interleaved, is in the notes for scale.
 */
export const pgHttpPayments = postgresCase('pg.http.payments', 'req/s', 'reported', async ({ quick, dir }) => {
  const schemas = await benchSchemas('http', ['paybus']);
  try {
    const r = await paymentsRun(quick, dir, urlWithSchema(schemas.names[0]!));
    const notes =
      `paybus on PostgreSQL (DATABASE_URL, a fresh schema, pool 10), all modules, memory mode; ${LOAD}, ${r.perRound.toLocaleString('en-US')} a round; ` +
      `counted until its reactions were done too: ${Math.round(r.drained)} req/s; for scale, not a target: the raw express + better-sqlite3 route in the same run ${Math.round(r.baseline)} req/s; peak RSS ${r.rssMb.toFixed(0)} MB`;
    return infoResult('pg.http.payments', 'req/s', r.ours, notes);
  } finally {
    await schemas.drop();
  }
});
