// paybus for http.payments, in its own process: every module, memory mode, the bills of the run created beforehand.
// Usage: paybusServer.ts DIR BILLS_JSON [DATABASE_URL] (BILLS_JSON written by cases/http.ts: { userId, billIds, amount,
// currency }; with DATABASE_URL paybus runs on PostgreSQL, for pg.http.payments, else on SQLite in DIR).
import fs from 'node:fs';
import { createApp } from '../../../src/createApp.js';
import { createBillCreatedEvent, createUserCreatedEvent } from '../../../src/events/catalog.js';
import { MODULE_NAMES, type ModuleName } from '../../../src/config.js';
import { benchConfig, silentLog } from '../benchApp.js';
import { serveParent } from './child.js';

const [dir, billsFile, databaseUrl] = process.argv.slice(2) as [string, string, string | undefined];
const { userId, billIds, amount, currency } = JSON.parse(fs.readFileSync(billsFile, 'utf8')) as { userId: string; billIds: string[]; amount: number; currency: string };

// The simulated card network's own latency is not paybus's cost: 0 ms, so the run measures paybus alone.
// BENCH_MODULES=users,billing,payments runs fewer modules, to see what the reactions of the others cost.
const modules = process.env.BENCH_MODULES ? (process.env.BENCH_MODULES.split(',') as ModuleName[]) : [...MODULE_NAMES];
const unknown = modules.filter((m) => !MODULE_NAMES.includes(m));
if (unknown.length > 0) throw new Error(`BENCH_MODULES names no module ${unknown.join(', ')} (modules: ${MODULE_NAMES.join(', ')})`);
const env: Record<string, string> = { PAYMENT_GATEWAY_LATENCY_MS: '0', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) };
const app = await createApp(benchConfig(dir, 'http-paybus', env, modules), { log: silentLog });
await prepareHistory();
await app.start();
const server = await app.listen();
const address = server.address();
serveParent(typeof address === 'object' && address ? address.port : 0, () => app.stop(), () => app.host.idle());

/**
 * The user and the bills as history: the events POST /users and POST /bills commit (inline projections give
 * billing and payments the bills), committed before start and recorded as handled by every reaction, as if
 * their notifications went out long ago. Otherwise thousands of bill.created mails would be sent during the run.
 */
async function prepareHistory(): Promise<void> {
  await app.host.commit(({ append }) => append([createUserCreatedEvent(userId, `bench-${userId}@example.com`, 'Bench User', null)], { expectedVersion: 0 }));
  for (let i = 0; i < billIds.length; i += 500) {
    const events = billIds.slice(i, i + 500).map((id) => createBillCreatedEvent(id, userId, amount, currency, '2030-01-31', 'Bench bill'));
    await app.host.commit(({ append }) => append(events));
  }
  const head = await app.store.headPosition();
  await app.storage.transaction(async (tx) => {
    for (const reaction of app.host.reactions) await app.ledger.advance(tx, reaction.name, head);
  });
  for (let rows = await app.outbox.pending(1000); rows.length > 0; rows = await app.outbox.pending(1000)) await app.outbox.markPublished(rows.map((r) => r.id));
}
