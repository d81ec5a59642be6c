// Data access for the documents tables: plain objects in and out, prepared statements only.
import type { Sql } from '../../src/moduleKit.js';
import type { Document } from './decide.js';

const COLUMNS = 'id, user_id AS "userId", bill_id AS "billId", filename, content_type AS "contentType", size, sha256, created_at AS "createdAt"';

const SQL = {
  byId: `SELECT ${COLUMNS} FROM documents_documents WHERE id = ?`,
  insert: `INSERT INTO documents_documents (id, user_id, bill_id, filename, content_type, size, sha256, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  userExists: 'SELECT 1 FROM documents_users WHERE id = ?',
  addUser: 'INSERT INTO documents_users (id) VALUES (?) ON CONFLICT (id) DO NOTHING',
  billOwner: 'SELECT user_id FROM documents_bills WHERE id = ?',
  addBill: 'INSERT INTO documents_bills (id, user_id) VALUES (?, ?) ON CONFLICT (id) DO NOTHING',
};

export const documentsRepository = {
  get: (db: Sql, id: string) => db.one<Document>(SQL.byId, [id]),

  async insert(db: Sql, d: Document): Promise<void> {
    await db.run(SQL.insert, [d.id, d.userId, d.billId, d.filename, d.contentType, d.size, d.sha256, d.createdAt]);
  },

  hasUser: async (db: Sql, userId: string) => (await db.value(SQL.userExists, [userId])) !== undefined,

  async addUser(db: Sql, userId: string): Promise<void> {
    await db.run(SQL.addUser, [userId]);
  },

  /** The user a bill belongs to, or undefined for a bill documents has not heard of. */
  billOwnerOf: (db: Sql, billId: string) => db.value<string>(SQL.billOwner, [billId]),

  async addBill(db: Sql, billId: string, userId: string): Promise<void> {
    await db.run(SQL.addBill, [billId, userId]);
  },
};
