// Baseline for http.payments, in its own process: a hand-written express 5 + better-sqlite3 route that makes the same
// durable writes as paybus's POST /payments, in ONE transaction: the Idempotency-Key row with its answer, the payment,
// the payment.success event (paybus's events table, indexes and all) and its outbox row. The bill is read to check
// the amount, as a payment must. What paybus adds on top (modules, events through its store, reactions) is the rest.
// Usage: rawPaymentsServer.ts DIR BILLS_JSON (the same shape paybusServer.ts reads; see ../history.ts).
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import express from 'express';
import { idempotencyMigrations } from '../../../src/http/IdempotencyKeys.js';
import { textFor } from '../../../src/storage/Storage.js';
import { storeMigrations } from '../../../src/store/tables.js';
import { type BenchBills, ownerOf } from '../history.js';
import { serveParent } from '../servers/child.js';

const [dir, billsFile] = process.argv.slice(2) as [string, string];
const bills = JSON.parse(fs.readFileSync(billsFile, 'utf8')) as BenchBills;
const db = new Database(path.join(dir, 'http-raw.db'));
// The pragmas paybus runs with (src/storage/sqlite/SqliteStorage.ts).
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');
db.pragma('foreign_keys = ON');
db.pragma('temp_store = MEMORY'); // no savepoint here, so no statement journal: kept only to match paybus
db.exec([...storeMigrations, ...idempotencyMigrations].map((m) => textFor(m.sql, 'sqlite')).join(';\n'));
db.exec(`
  CREATE TABLE bills (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, amount INTEGER NOT NULL, currency TEXT NOT NULL);
  CREATE TABLE payments (id TEXT PRIMARY KEY, bill_id TEXT NOT NULL, user_id TEXT NOT NULL, amount INTEGER NOT NULL,
    currency TEXT NOT NULL, source TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL);
  -- One payment a bill: what stops a second charge.
  CREATE UNIQUE INDEX payments_bill ON payments (bill_id);`);
const addBill = db.prepare('INSERT INTO bills (id, user_id, amount, currency) VALUES (?, ?, ?, ?)');
db.transaction(() => bills.billIds.forEach((id, i) => addBill.run(id, ownerOf(bills, i), bills.amount, bills.currency)))();

const SQL = {
  bill: db.prepare('SELECT user_id AS userId, amount, currency FROM bills WHERE id = ?'),
  key: db.prepare('SELECT request_hash AS hash, status, body, location FROM idempotency_keys WHERE key = ?'),
  addKey: db.prepare(`INSERT INTO idempotency_keys (key, request_hash, state, owner, status, content_type, location, body, created_at)
    VALUES (?, ?, 'done', 'raw', 201, 'application/json; charset=utf-8', ?, ?, ?)`),
  payment: db.prepare('INSERT INTO payments (id, bill_id, user_id, amount, currency, source, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
  event: db.prepare(`INSERT INTO events (id, type, aggregate_type, aggregate_id, version, occurred_at, payload, metadata, recorded_at)
    VALUES (?, ?, 'payment', ?, 1, ?, ?, ?, ?)`),
  outbox: db.prepare('INSERT INTO outbox (event_id, event_type, body, created_at) VALUES (?, ?, ?, ?)'),
};

interface Pay {
  billId: string;
  amount: number;
  currency: string;
  source: string;
}
type Bill = { userId: string; amount: number; currency: string };
type Answer = { status: number; body: string; location: string | null };

/** The whole payment, one transaction: the stored answer of an earlier request with the key, or the new one. */
const pay = db.transaction((key: string | undefined, hash: string, p: Pay, bill: Bill): Answer => {
  const earlier = key === undefined ? undefined : (SQL.key.get(key) as (Answer & { hash: string }) | undefined);
  if (earlier) return earlier.hash === hash ? earlier : { status: 422, body: JSON.stringify({ title: 'Idempotency-Key reused' }), location: null };
  const now = new Date().toISOString();
  const payment = { id: randomUUID(), billId: p.billId, userId: bill.userId, amount: p.amount, currency: p.currency, status: 'succeeded', failureReason: null, createdAt: now };
  const body = JSON.stringify(payment);
  const location = `/payments/${payment.id}`;
  if (key !== undefined) SQL.addKey.run(key, hash, location, body, now);
  SQL.payment.run(payment.id, p.billId, bill.userId, p.amount, p.currency, p.source, payment.status, now);
  const payload = { paymentId: payment.id, billId: p.billId, userId: bill.userId, amount: p.amount, currency: p.currency };
  const metadata = { correlationId: randomUUID(), causationId: null, actor: null };
  const event = { id: randomUUID(), type: 'payment.success', aggregateType: 'payment', aggregateId: payment.id, version: 1, occurredAt: now, payload, metadata };
  SQL.event.run(event.id, event.type, payment.id, now, JSON.stringify(payload), JSON.stringify(metadata), now);
  SQL.outbox.run(event.id, event.type, JSON.stringify(event), now);
  return { status: 201, body, location };
});

const problem = (res: express.Response, status: number, detail: string) => res.status(status).type('application/problem+json').send(JSON.stringify({ title: detail, status, detail }));

const app = express();
app.use(express.json());
app.post('/payments', (req, res) => {
  const p = req.body as Partial<Pay>;
  if (typeof p.billId !== 'string' || !Number.isInteger(p.amount) || typeof p.currency !== 'string' || typeof p.source !== 'string') return problem(res, 400, 'billId, amount, currency and source are required');
  const bill = SQL.bill.get(p.billId) as Bill | undefined;
  if (!bill || bill.amount !== p.amount || bill.currency !== p.currency) return problem(res, 422, 'unknown bill, or another amount or currency');
  const hash = createHash('sha256').update(`POST\n/payments\n${JSON.stringify(p)}`).digest('hex');
  let answer: Answer;
  try {
    answer = pay.immediate(req.get('Idempotency-Key'), hash, p as Pay, bill);
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') return problem(res, 409, 'bill already paid');
    throw error;
  }
  if (answer.location) res.location(answer.location);
  res.status(answer.status).type('json').send(answer.body);
});
const server = app.listen(0, () => {
  const address = server.address();
  serveParent(typeof address === 'object' && address ? address.port : 0, async () => {
    server.close();
    db.close();
  });
});
