// Data access for payments_bills, payments_attempts and payments_payments: plain objects, prepared statements only.
import type { Sql } from '../../src/moduleKit.js';
import type { Attempt, PayableBill, Payment } from './decide.js';

const BILL = 'bill_id AS "billId", user_id AS "userId", amount, currency, status, paid_by AS "paidBy"';
const ATTEMPT = `id, bill_id AS "billId", user_id AS "userId", amount, currency, source, state, correlation_id AS "correlationId", actor, reserved_at AS "reservedAt"`;
const PAYMENT = `id, bill_id AS "billId", user_id AS "userId", amount, currency, status, failure_reason AS "failureReason", created_at AS "createdAt"`;

const SQL = {
  bill: `SELECT ${BILL} FROM payments_bills WHERE bill_id = ?`,
  saveBill: `INSERT INTO payments_bills (bill_id, user_id, amount, currency, status, paid_by) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (bill_id) DO UPDATE SET status = excluded.status, paid_by = excluded.paid_by`,
  liveAttempt: `SELECT ${ATTEMPT} FROM payments_attempts WHERE bill_id = ? AND state IN ('processing', 'succeeded')`,
  processing: `SELECT ${ATTEMPT} FROM payments_attempts WHERE state = 'processing' ORDER BY reserved_at`,
  insertAttempt: `INSERT INTO payments_attempts (id, bill_id, user_id, amount, currency, source, state, correlation_id, actor, reserved_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  finishAttempt: `UPDATE payments_attempts SET state = ?, finished_at = ? WHERE id = ? AND state = 'processing'`,
  deleteAttempt: `DELETE FROM payments_attempts WHERE id = ? AND state = 'processing'`,
  payment: `SELECT ${PAYMENT} FROM payments_payments WHERE id = ?`,
  insertPayment: `INSERT INTO payments_payments (id, bill_id, user_id, amount, currency, status, failure_reason, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
};

export const paymentsRepository = {
  getBill: (db: Sql, billId: string) => db.one<PayableBill>(SQL.bill, [billId]),

  async saveBill(db: Sql, b: PayableBill): Promise<void> {
    await db.run(SQL.saveBill, [b.billId, b.userId, b.amount, b.currency, b.status, b.paidBy]);
  },

  /** The attempt in flight for a bill, or the one that paid it. */
  liveAttempt: (db: Sql, billId: string) => db.one<Attempt>(SQL.liveAttempt, [billId]),

  processingAttempts: (db: Sql) => db.all<Attempt>(SQL.processing),

  async insertAttempt(db: Sql, a: Attempt): Promise<void> {
    await db.run(SQL.insertAttempt, [a.id, a.billId, a.userId, a.amount, a.currency, a.source, a.state, a.correlationId, a.actor, a.reservedAt]);
  },

  finishAttempt: async (db: Sql, id: string, state: 'succeeded' | 'failed', at: string) => (await db.run(SQL.finishAttempt, [state, at, id])) === 1,

  /** Frees a reservation the gateway refused without charging. */
  async releaseAttempt(db: Sql, id: string): Promise<void> {
    await db.run(SQL.deleteAttempt, [id]);
  },

  getPayment: (db: Sql, id: string) => db.one<Payment>(SQL.payment, [id]),

  async insertPayment(db: Sql, p: Payment): Promise<void> {
    await db.run(SQL.insertPayment, [p.id, p.billId, p.userId, p.amount, p.currency, p.status, p.failureReason, p.createdAt]);
  },
};
