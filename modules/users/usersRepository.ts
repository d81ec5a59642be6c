// Data access for users_users: plain objects in and out, prepared statements only, on the executor given.
import type { Sql } from '../../src/moduleKit.js';
import type { UserState } from './decide.js';

const COLUMNS = 'id, email, name, phone, version, created_at AS "createdAt", updated_at AS "updatedAt"';

const SQL = {
  byId: `SELECT ${COLUMNS} FROM users_users WHERE id = ?`,
  byEmail: `SELECT ${COLUMNS} FROM users_users WHERE email = ?`,
  insert: `INSERT INTO users_users (id, email, name, phone, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  update: `UPDATE users_users SET email = ?, name = ?, phone = ?, version = ?, updated_at = ? WHERE id = ?`,
};

export const usersRepository = {
  get: (db: Sql, id: string) => db.one<UserState>(SQL.byId, [id]),

  getByEmail: (db: Sql, email: string) => db.one<UserState>(SQL.byEmail, [email]),

  async insert(db: Sql, u: UserState): Promise<void> {
    await db.run(SQL.insert, [u.id, u.email, u.name, u.phone, u.version, u.createdAt, u.updatedAt]);
  },

  async update(db: Sql, u: UserState): Promise<void> {
    await db.run(SQL.update, [u.email, u.name, u.phone, u.version, u.updatedAt, u.id]);
  },
};
