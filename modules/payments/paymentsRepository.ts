// Data access for payments_bills, payments_attempts and payments_payments: plain objects, prepared statements only.
import { databaseNowMs as now, perEngine, type Sql } from '../../src/moduleKit.js';
import type { Attempt, PayableBill, Payment } from './decide.js';

const BILL = 'bill_id AS "billId", user_id AS "userId", amount, currency, status, paid_by AS "paidBy"';
const ATTEMPT = `id, bill_id AS "billId", user_id AS "userId", amount, currency, source, state, correlation_id AS "correlationId", actor, reserved_at AS "reservedAt"`;
const PAYMENT = `id, bill_id AS "billId", user_id AS "userId", amount, currency, status, failure_reason AS "failureReason", created_at AS "createdAt"`;

const SQL = {
  bill: `SELECT ${BILL} FROM payments_bills WHERE bill_id = ?`,
  saveBill: `INSERT INTO payments_bills (bill_id, user_id, amount, currency, status, paid_by) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (bill_id) DO UPDATE SET status = excluded.status, paid_by = excluded.paid_by`,
  liveAttempt: `SELECT ${ATTEMPT} FROM payments_attempts WHERE bill_id = ? AND state IN ('processing', 'succeeded')`,
  // An attempt in flight whose owner stopped renewing its lease (it died, or hangs): free to resume.
  abandoned: perEngine(
    (e) => `SELECT ${ATTEMPT}, owner FROM payments_attempts WHERE state = 'processing' AND (lease_expires_at IS NULL OR lease_expires_at < ${now(e)})
      ORDER BY reserved_at LIMIT ?`,
  ),
  // The same condition again, in the one statement that takes it: of two processes claiming one attempt, one changes the row.
  claim: perEngine(
    (e) => `UPDATE payments_attempts SET owner = ?, lease_expires_at = ${now(e)} + ?
      WHERE id = ? AND state = 'processing' AND (lease_expires_at IS NULL OR lease_expires_at < ${now(e)})`,
  ),
  renew: perEngine((e) => `UPDATE payments_attempts SET lease_expires_at = ${now(e)} + ? WHERE id = ? AND owner = ? AND state = 'processing'`),
  expire: perEngine((e) => `UPDATE payments_attempts SET lease_expires_at = ${now(e)} - 1 WHERE id = ? AND owner = ? AND state = 'processing'`),
  insertAttempt: perEngine(
    (e) => `INSERT INTO payments_attempts (id, bill_id, user_id, amount, currency, source, state, correlation_id, actor, reserved_at, owner, lease_expires_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ${now(e)} + ?)`,
  ),
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

  /** Attempts in flight whose lease expired, oldest first; `owner` is the process that left each one. */
  abandonedAttempts: (db: Sql, limit: number) => db.all<Attempt & { owner: string | null }>(SQL.abandoned, [limit]),

  /** Takes an abandoned attempt for `owner` for `leaseMs`: false when it is live, finished, or another process took it. */
  claimAttempt: async (db: Sql, id: string, owner: string, leaseMs: number) => (await db.run(SQL.claim, [owner, leaseMs, id])) === 1,

  /** False when `owner` no longer holds the attempt (finished, or taken over after its lease expired). */
  renewLease: async (db: Sql, id: string, owner: string, leaseMs: number) => (await db.run(SQL.renew, [leaseMs, id, owner])) === 1,

  /** Lets the attempt go at once, for the next resume to take. */
  async expireLease(db: Sql, id: string, owner: string): Promise<void> {
    await db.run(SQL.expire, [id, owner]);
  },

  /** Reserves an attempt held by `owner` for `leaseMs` from now on the database's clock. */
  async insertAttempt(db: Sql, a: Attempt, owner: string, leaseMs: number): Promise<void> {
    await db.run(SQL.insertAttempt, [a.id, a.billId, a.userId, a.amount, a.currency, a.source, a.state, a.correlationId, a.actor, a.reservedAt, owner, leaseMs]);
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
