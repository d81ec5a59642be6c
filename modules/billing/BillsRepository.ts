// Data access for billing_bills and billing_users: plain objects in and out, prepared statements only.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../../src/db/openDatabase.js';

export type BillStatus = 'pending' | 'payment_failed' | 'paid';

export interface Bill {
  id: string;
  userId: string;
  amount: number;
  currency: string;
  dueDate: string;
  description: string | null;
  status: BillStatus;
  paymentId: string | null;
  paidAt: string | null;
  createdAt: string;
}

/** A bill as its stream knows it: the resource plus the version of its last event. */
export interface BillState extends Bill {
  version: number;
}

const COLUMNS = `id, user_id AS userId, amount, currency, due_date AS dueDate, description, status,
  payment_id AS paymentId, paid_at AS paidAt, version, created_at AS createdAt`;

export class BillsRepository {
  private readonly byId: Statement;
  private readonly byUser: Statement;
  private readonly upsertRow: Statement;
  private readonly userById: Statement;
  private readonly insertUser: Statement;

  constructor(db: Db) {
    this.byId = db.prepare(`SELECT ${COLUMNS} FROM billing_bills WHERE id = ?`);
    this.byUser = db.prepare(`SELECT ${COLUMNS} FROM billing_bills WHERE user_id = ? ORDER BY created_at, rowid`);
    this.upsertRow = db.prepare(
      `INSERT INTO billing_bills (id, user_id, amount, currency, due_date, description, status, payment_id, paid_at, version, created_at)
       VALUES (@id, @userId, @amount, @currency, @dueDate, @description, @status, @paymentId, @paidAt, @version, @createdAt)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, payment_id = excluded.payment_id,
         paid_at = excluded.paid_at, version = excluded.version`,
    );
    this.userById = db.prepare('SELECT 1 FROM billing_users WHERE id = ?').pluck();
    this.insertUser = db.prepare('INSERT OR IGNORE INTO billing_users (id, created_at) VALUES (?, ?)');
  }

  get(id: string): BillState | undefined {
    return this.byId.get(id) as BillState | undefined;
  }

  listByUser(userId: string): BillState[] {
    return this.byUser.all(userId) as BillState[];
  }

  save(bill: BillState): void {
    this.upsertRow.run(bill);
  }

  hasUser(userId: string): boolean {
    return this.userById.get(userId) !== undefined;
  }

  addUser(userId: string, createdAt: string): void {
    this.insertUser.run(userId, createdAt);
  }
}

export function toBill({ version: _version, ...bill }: BillState): Bill {
  return bill;
}
