// paybus for http.payments and its kin, in its own process: every module, memory mode, the bills of the run created
// beforehand. Usage: paybusServer.ts DIR BILLS_JSON [DATABASE_URL] (BILLS_JSON: see ../history.ts; with DATABASE_URL
// paybus runs on PostgreSQL, for pg.http.payments, else on SQLite in DIR).
// BENCH_PAYBUS_ENV, a JSON object of paybus's own variables (ADMIN_TOKEN, SMTP_URL, …), is laid over the bench's.
import fs from 'node:fs';
import { createApp } from '../../../src/createApp.js';
import { MODULE_NAMES, type ModuleName } from '../../../src/config.js';
import { benchConfig, silentLog } from '../benchApp.js';
import { type BenchBills, prepareHistory } from '../history.js';
import { serveParent } from './child.js';

const [dir, billsFile, databaseUrl] = process.argv.slice(2) as [string, string, string | undefined];
const bills = JSON.parse(fs.readFileSync(billsFile, 'utf8')) as BenchBills;

// The simulated card network's own latency is not paybus's cost: 0 ms, so the run measures paybus alone.
// BENCH_MODULES=users,billing,payments runs fewer modules, to see what the reactions of the others cost (the core
// server of http.payments, for http.payments.core).
const modules = process.env.BENCH_MODULES ? (process.env.BENCH_MODULES.split(',') as ModuleName[]) : [...MODULE_NAMES];
const unknown = modules.filter((m) => !MODULE_NAMES.includes(m));
if (unknown.length > 0) throw new Error(`BENCH_MODULES names no module ${unknown.join(', ')} (modules: ${MODULE_NAMES.join(', ')})`);
const extra = JSON.parse(process.env.BENCH_PAYBUS_ENV ?? '{}') as Record<string, string>;
const env: Record<string, string> = { PAYMENT_GATEWAY_LATENCY_MS: '0', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}), ...extra };
const app = await createApp(benchConfig(dir, 'http-paybus', env, modules), { log: silentLog });
await prepareHistory(app, bills);
await app.start();
const server = await app.listen();
const address = server.address();
serveParent(typeof address === 'object' && address ? address.port : 0, () => app.stop(), () => app.host.idle());
