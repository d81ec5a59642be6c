// Data access for payments_bills, payments_attempts and payments_payments: plain objects, prepared statements only.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../../src/db/openDatabase.js';

/** A bill as payments knows it from billing's events. */
export interface PayableBill {
  billId: string;
  userId: string;
  amount: number;
  currency: string;
  status: 'open' | 'paid';
  paidBy: string | null;
}

/** A reservation: the attempt to charge one bill, recorded before the gateway is called. */
export interface Attempt {
  id: string;
  billId: string;
  userId: string;
  amount: number;
  currency: string;
  source: string;
  state: 'processing' | 'succeeded' | 'failed';
  correlationId: string | null;
  reservedAt: string;
}

export interface Payment {
  id: string;
  billId: string;
  userId: string;
  amount: number;
  currency: string;
  status: 'succeeded' | 'failed';
  failureReason: string | null;
  createdAt: string;
}

const BILL = 'bill_id AS billId, user_id AS userId, amount, currency, status, paid_by AS paidBy';
const ATTEMPT = 'id, bill_id AS billId, user_id AS userId, amount, currency, source, state, correlation_id AS correlationId, reserved_at AS reservedAt';
const PAYMENT = 'id, bill_id AS billId, user_id AS userId, amount, currency, status, failure_reason AS failureReason, created_at AS createdAt';

type StatementName = 'bill' | 'saveBill' | 'liveAttempt' | 'processing' | 'insertAttempt' | 'finishAttempt' | 'deleteAttempt' | 'payment' | 'insertPayment';

function statements(db: Db): Record<StatementName, Statement> {
  return {
    bill: db.prepare(`SELECT ${BILL} FROM payments_bills WHERE bill_id = ?`),
    saveBill: db.prepare(
      `INSERT INTO payments_bills (bill_id, user_id, amount, currency, status, paid_by)
       VALUES (@billId, @userId, @amount, @currency, @status, @paidBy)
       ON CONFLICT (bill_id) DO UPDATE SET status = excluded.status, paid_by = excluded.paid_by`,
    ),
    liveAttempt: db.prepare(`SELECT ${ATTEMPT} FROM payments_attempts WHERE bill_id = ? AND state IN ('processing', 'succeeded')`),
    processing: db.prepare(`SELECT ${ATTEMPT} FROM payments_attempts WHERE state = 'processing' ORDER BY reserved_at`),
    insertAttempt: db.prepare(
      `INSERT INTO payments_attempts (id, bill_id, user_id, amount, currency, source, state, correlation_id, reserved_at)
       VALUES (@id, @billId, @userId, @amount, @currency, @source, @state, @correlationId, @reservedAt)`,
    ),
    finishAttempt: db.prepare(`UPDATE payments_attempts SET state = ?, finished_at = ? WHERE id = ? AND state = 'processing'`),
    deleteAttempt: db.prepare(`DELETE FROM payments_attempts WHERE id = ? AND state = 'processing'`),
    payment: db.prepare(`SELECT ${PAYMENT} FROM payments_payments WHERE id = ?`),
    insertPayment: db.prepare(
      `INSERT OR IGNORE INTO payments_payments (id, bill_id, user_id, amount, currency, status, failure_reason, created_at)
       VALUES (@id, @billId, @userId, @amount, @currency, @status, @failureReason, @createdAt)`,
    ),
  };
}

export class PaymentsRepository {
  private readonly s: Record<StatementName, Statement>;

  constructor(db: Db) {
    this.s = statements(db);
  }

  getBill(billId: string): PayableBill | undefined {
    return this.s.bill.get(billId) as PayableBill | undefined;
  }

  saveBill(bill: PayableBill): void {
    this.s.saveBill.run(bill);
  }

  /** The attempt in flight for a bill, or the one that paid it. */
  liveAttempt(billId: string): Attempt | undefined {
    return this.s.liveAttempt.get(billId) as Attempt | undefined;
  }

  processingAttempts(): Attempt[] {
    return this.s.processing.all() as Attempt[];
  }

  insertAttempt(attempt: Attempt): void {
    this.s.insertAttempt.run(attempt);
  }

  finishAttempt(id: string, state: 'succeeded' | 'failed', at: string): boolean {
    return this.s.finishAttempt.run(state, at, id).changes === 1;
  }

  /** Frees a reservation the gateway refused without charging. */
  releaseAttempt(id: string): void {
    this.s.deleteAttempt.run(id);
  }

  getPayment(id: string): Payment | undefined {
    return this.s.payment.get(id) as Payment | undefined;
  }

  insertPayment(payment: Payment): void {
    this.s.insertPayment.run(payment);
  }
}
