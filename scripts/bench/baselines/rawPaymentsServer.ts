// Baseline for http.payments, in its own process: express 5 + better-sqlite3, one insert per POST /payments.
// Usage: rawPaymentsServer.ts DIR
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import express from 'express';
import { serveParent } from '../servers/child.js';

const db = new Database(path.join(process.argv[2]!, 'http-raw.db'));
// The pragmas paybus runs with (src/storage/sqlite/SqliteStorage.ts).
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 5000');
db.exec(`CREATE TABLE payments (id TEXT PRIMARY KEY, bill_id TEXT NOT NULL, amount INTEGER NOT NULL, currency TEXT NOT NULL,
         source TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL)`);
const insert = db.prepare('INSERT INTO payments (id, bill_id, amount, currency, source, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)');

const app = express();
app.use(express.json());
app.post('/payments', (req, res) => {
  const { billId, amount, currency, source } = req.body as { billId: string; amount: number; currency: string; source: string };
  const payment = { id: randomUUID(), billId, amount, currency, source, status: 'succeeded', createdAt: new Date().toISOString() };
  insert.run(payment.id, billId, amount, currency, source, payment.status, payment.createdAt);
  res.status(201).json(payment);
});
const server = app.listen(0, () => {
  const address = server.address();
  serveParent(typeof address === 'object' && address ? address.port : 0, async () => {
    server.close();
    db.close();
  });
});
