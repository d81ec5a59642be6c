// http.payments and pg.http.payments: POST /payments end to end against express 5 + better-sqlite3, each server in its
// own process.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { type BenchCase, infoResult, interleave, median, ratioResult } from '../harness.js';
import { benchSchemas, postgresCase, urlWithSchema } from '../postgres.js';
import { ChildServer } from '../servers/child.js';

const CONNECTIONS = 20;
const AMOUNT = 12345;
const WARMUP = 300;
const here = import.meta.dirname;

/**
 * Sends `count` POST /payments, each with the next bill id, refusing any answer but 2xx; returns autocannon's 2xx/s
 * and, in `drained`, the rate counted until the server was idle again (paybus's reactions: bill paid, mails,
 * analytics). Waiting for idle also keeps that work out of the next round, which is the other side's.
 */
async function payRate(server: ChildServer, count: number, nextBill: () => string, drained: number[] = []): Promise<number> {
  const port = server.port;
  const start = performance.now();
  const run = autocannon({
    url: `http://127.0.0.1:${port}/payments`,
    method: 'POST',
    connections: CONNECTIONS,
    amount: count,
    sampleInt: 100,
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (req) => ({ ...req, body: JSON.stringify({ billId: nextBill(), amount: AMOUNT, currency: 'EUR', source: 'tok_visa' }) }) }],
  });
  // Timed to the last response: autocannon's own duration ends at its next sampling tick (by default a whole
  // second), which capped a fast server at `count` requests a second.
  let lastResponse = start;
  run.on('response', () => void (lastResponse = performance.now()));
  const result = await run;
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(`port ${port}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts in ${count} requests`);
  }
  await server.idle();
  drained.push(result['2xx'] / ((performance.now() - start) / 1000));
  return result['2xx'] / ((lastResponse - start) / 1000);
}

/** Hands out ids in order; autocannon may prepare a few requests it never sends, so each list has slack. */
function dispenser(ids: readonly string[]): () => string {
  let i = 0;
  return () => {
    if (i >= ids.length) throw new Error('the bench ran out of prepared bills');
    return ids[i++]!;
  };
}

interface PaymentsRun {
  ours: number;
  baseline: number;
  /** Median rate of paybus counted until its reactions were done too. */
  drained: number;
  /** Peak RSS of the paybus process, MB. */
  rssMb: number;
  perRound: number;
}

/** The paybus server (on SQLite in `dir`, or on `databaseUrl`) against the raw baseline, warmed up, then interleaved. */
async function paymentsRun(quick: boolean, dir: string, databaseUrl?: string): Promise<PaymentsRun> {
  const perRound = quick ? 400 : 2_000;
  const rounds = quick ? 2 : 3;
  const needed = WARMUP + rounds * perRound + (rounds + 1) * CONNECTIONS * 4;
  const billIds = Array.from({ length: needed }, () => randomUUID());
  const billsFile = path.join(dir, 'http-bills.json');
  fs.writeFileSync(billsFile, JSON.stringify({ userId: randomUUID(), billIds, amount: AMOUNT, currency: 'EUR' }));
  const ours = await ChildServer.start(path.join(here, '../servers/paybusServer.ts'), [dir, billsFile, ...(databaseUrl ? [databaseUrl] : [])]);
  let raw: ChildServer | undefined;
  try {
    raw = await ChildServer.start(path.join(here, '../baselines/rawPaymentsServer.ts'), [dir]);
    const rawServer = raw;
    // The baseline needs no bills; it gets fresh ids too, so both bodies are the same size.
    const oursBill = dispenser(billIds);
    const rawBill = dispenser(Array.from({ length: needed }, () => randomUUID()));
    await payRate(ours, WARMUP, oursBill);
    await payRate(raw, WARMUP, rawBill);
    const drained: number[] = [];
    const r = await interleave(rounds, () => payRate(ours, perRound, oursBill, drained), () => payRate(rawServer, perRound, rawBill));
    return { ...r, drained: median(drained), rssMb: (await ours.maxRss()) / 1024 / 1024, perRound };
  } finally {
    await ours.stop();
    await raw?.stop();
    // Each case starts its raw server on a fresh file.
    for (const f of fs.readdirSync(dir)) if (f.startsWith('http-raw.db') || f.startsWith('http-bills')) fs.rmSync(path.join(dir, f), { force: true });
  }
}

export const httpPayments: BenchCase = {
  name: 'http.payments',
  async run({ quick, dir }) {
    const r = await paymentsRun(quick, dir);
    const notes = `${CONNECTIONS} connections, ${r.perRound.toLocaleString('en-US')} requests a round, each paying a fresh bill; gateway latency 0 ms; paybus counted until its reactions were done too: ${Math.round(r.drained)} req/s`;
    return [
      ratioResult('http.payments', 'req/s', r.ours, r.baseline, 0.5, notes),
      infoResult('http.payments.peak_rss_mb', 'MB', r.rssMb, 'peak RSS of the paybus process over the HTTP run (all modules, memory mode)'),
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
      `paybus on PostgreSQL (DATABASE_URL, a fresh schema, pool 10), all modules, memory mode; ${CONNECTIONS} connections, ${r.perRound.toLocaleString('en-US')} requests a round; ` +
      `counted until its reactions were done too: ${Math.round(r.drained)} req/s; for scale, not a target: raw express + better-sqlite3 in the same run ${Math.round(r.baseline)} req/s; peak RSS ${r.rssMb.toFixed(0)} MB`;
    return infoResult('pg.http.payments', 'req/s', r.ours, notes);
  } finally {
    await schemas.drop();
  }
});
