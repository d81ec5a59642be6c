// Data access for billing_bills and billing_users: plain objects in and out, prepared statements only.
import type { Sql } from '../../src/moduleKit.js';
import type { BillState } from './decide.js';

const COLUMNS = `id, user_id AS "userId", amount, currency, due_date AS "dueDate", description, status,
  payment_id AS "paymentId", paid_at AS "paidAt", version, created_at AS "createdAt"`;

const SQL = {
  byId: `SELECT ${COLUMNS} FROM billing_bills WHERE id = ?`,
  // Bills of one user in the order they were made (SQLite's rowid is that order; PostgreSQL has none).
  byUser: {
    sqlite: `SELECT ${COLUMNS} FROM billing_bills WHERE user_id = ? ORDER BY created_at, rowid`,
    postgres: `SELECT ${COLUMNS} FROM billing_bills WHERE user_id = ? ORDER BY created_at, id`,
  },
  upsert: `INSERT INTO billing_bills (id, user_id, amount, currency, due_date, description, status, payment_id, paid_at, version, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET status = excluded.status, payment_id = excluded.payment_id,
      paid_at = excluded.paid_at, version = excluded.version`,
  hasUser: 'SELECT 1 FROM billing_users WHERE id = ?',
  addUser: 'INSERT INTO billing_users (id, created_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING',
};

export const billsRepository = {
  get: (db: Sql, id: string) => db.one<BillState>(SQL.byId, [id]),

  listByUser: (db: Sql, userId: string) => db.all<BillState>(SQL.byUser, [userId]),

  async save(db: Sql, b: BillState): Promise<void> {
    await db.run(SQL.upsert, [b.id, b.userId, b.amount, b.currency, b.dueDate, b.description, b.status, b.paymentId, b.paidAt, b.version, b.createdAt]);
  },

  hasUser: async (db: Sql, userId: string) => (await db.value(SQL.hasUser, [userId])) !== undefined,

  async addUser(db: Sql, userId: string, createdAt: string): Promise<void> {
    await db.run(SQL.addUser, [userId, createdAt]);
  },
};
