// paybus for http.payments, in its own process: every module, memory mode, the bills of the run created beforehand.
// Usage: paybusServer.ts DIR BILLS_JSON (written by cases/http.ts: { userId, billIds, amount, currency }).
import fs from 'node:fs';
import { createApp } from '../../../src/createApp.js';
import { createBillCreatedEvent, createUserCreatedEvent } from '../../../src/events/catalog.js';
import { MODULE_NAMES, type ModuleName } from '../../../src/config.js';
import { benchConfig, silentLog } from '../benchApp.js';
import { serveParent } from './child.js';

const [dir, billsFile] = process.argv.slice(2) as [string, string];
const { userId, billIds, amount, currency } = JSON.parse(fs.readFileSync(billsFile, 'utf8')) as { userId: string; billIds: string[]; amount: number; currency: string };

// The simulated card network's own latency is not paybus's cost: 0 ms, so the run measures paybus alone.
// BENCH_MODULES=users,billing,payments runs fewer modules, to see what the reactions of the others cost.
const modules = process.env.BENCH_MODULES ? (process.env.BENCH_MODULES.split(',') as ModuleName[]) : [...MODULE_NAMES];
const unknown = modules.filter((m) => !MODULE_NAMES.includes(m));
if (unknown.length > 0) throw new Error(`BENCH_MODULES names no module ${unknown.join(', ')} (modules: ${MODULE_NAMES.join(', ')})`);
const app = createApp(benchConfig(dir, 'http-paybus', { PAYMENT_GATEWAY_LATENCY_MS: '0' }, modules), { log: silentLog });
prepareHistory();
await app.start();
const server = await app.listen();
const address = server.address();
serveParent(typeof address === 'object' && address ? address.port : 0, () => app.stop(), () => app.host.idle());

/**
 * The user and the bills as history: the events POST /users and POST /bills commit (inline projections give
 * billing and payments the bills), committed before start and recorded as handled by every reaction, as if
 * their notifications went out long ago. Otherwise thousands of bill.created mails would be sent during the run.
 */
function prepareHistory(): void {
  app.host.commit((uow) => uow.append([createUserCreatedEvent(userId, `bench-${userId}@example.com`, 'Bench User', null)], { expectedVersion: 0 }));
  for (let i = 0; i < billIds.length; i += 500) {
    const events = billIds.slice(i, i + 500).map((id) => createBillCreatedEvent(id, userId, amount, currency, '2030-01-31', 'Bench bill'));
    app.host.commit((uow) => uow.append(events));
  }
  const head = app.store.headPosition();
  app.host.commit(() => {
    for (const reaction of app.host.reactions) app.host.parts.ledger.advance(reaction.name, head);
  });
  for (let rows = app.outbox.pending(1000); rows.length > 0; rows = app.outbox.pending(1000)) app.outbox.markPublishedRange(rows[0]!.id, rows[rows.length - 1]!.id);
}
