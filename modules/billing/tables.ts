// The billing read models: the users billing knows of, and each bill's state, both kept from events.
import type { Migration } from '../../src/moduleKit.js';

// Amounts are BIGINT: minor units up to 2^53 (SQLite gives BIGINT the same INTEGER affinity as before).
export const billingMigrations: Migration[] = [
  {
    id: '001-billing',
    sql: `
      CREATE TABLE billing_users (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL
      );
      CREATE TABLE billing_bills (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        amount BIGINT NOT NULL CHECK (amount > 0),
        currency TEXT NOT NULL,
        due_date TEXT NOT NULL,
        description TEXT,
        status TEXT NOT NULL CHECK (status IN ('pending', 'payment_failed', 'paid')),
        payment_id TEXT,
        paid_at TEXT,
        version INTEGER NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE INDEX billing_bills_user ON billing_bills (user_id, created_at);
    `,
  },
];
