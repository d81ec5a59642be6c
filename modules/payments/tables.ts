// The payments tables: bills as billing's events describe them, payment reservations, payments, and the simulator's ledger.
import type { Migration } from '../../src/moduleKit.js';

// Amounts are BIGINT: minor units up to 2^53 (SQLite gives BIGINT the same INTEGER affinity as before).
export const paymentsMigrations: Migration[] = [
  {
    id: '001-payments',
    sql: `
      -- Projection of bill.created / bill.paid: what payments needs to accept or refuse a payment.
      CREATE TABLE payments_bills (
        bill_id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        amount BIGINT NOT NULL,
        currency TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'paid')),
        paid_by TEXT
      );

      -- Command state, not a projection: one row per attempt, committed BEFORE the gateway is called.
      -- The partial unique index is the last line against a double charge: at most one attempt per bill
      -- is in flight or has succeeded, whatever races past the checks.
      CREATE TABLE payments_attempts (
        id TEXT PRIMARY KEY,
        bill_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        amount BIGINT NOT NULL,
        currency TEXT NOT NULL,
        source TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('processing', 'succeeded', 'failed')),
        correlation_id TEXT,
        reserved_at TEXT NOT NULL,
        finished_at TEXT
      );
      CREATE UNIQUE INDEX payments_attempts_one_live_per_bill ON payments_attempts (bill_id) WHERE state IN ('processing', 'succeeded');
      CREATE INDEX payments_attempts_state ON payments_attempts (state);

      -- Projection of payment.success / payment.failed: the payment resource.
      CREATE TABLE payments_payments (
        id TEXT PRIMARY KEY,
        bill_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        amount BIGINT NOT NULL,
        currency TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('succeeded', 'failed')),
        failure_reason TEXT,
        created_at TEXT NOT NULL
      );
      CREATE INDEX payments_payments_bill ON payments_payments (bill_id);

      -- The built-in gateway simulator's own ledger: what the "card network" charged, once per payment id.
      CREATE TABLE payments_simulator_charges (
        payment_id TEXT PRIMARY KEY,
        bill_id TEXT NOT NULL,
        amount BIGINT NOT NULL,
        currency TEXT NOT NULL,
        source TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT,
        charged_at TEXT NOT NULL
      );
    `,
  },
  {
    id: '002-attempt-owner',
    sql: `
      -- Who is charging an attempt in flight (an Instance id) and until when (ms on the database's clock): another
      -- process resumes an attempt only once its lease expired. Rows from before have neither: free to resume.
      ALTER TABLE payments_attempts ADD COLUMN owner TEXT;
      ALTER TABLE payments_attempts ADD COLUMN lease_expires_at BIGINT;
      CREATE INDEX payments_attempts_lease ON payments_attempts (lease_expires_at) WHERE state = 'processing';
    `,
  },
  {
    // Who asked for an attempt: a crash between reserving and recording must not lose the caller of its payment event.
    id: '003-attempt-actor',
    sql: 'ALTER TABLE payments_attempts ADD COLUMN actor TEXT',
  },
];
