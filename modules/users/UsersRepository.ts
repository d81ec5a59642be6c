// Data access for users_users: plain objects in and out, prepared statements only.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../../src/db/openDatabase.js';

export interface User {
  id: string;
  email: string;
  name: string;
  phone: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface UserState extends User {
  version: number;
}

const COLUMNS = 'id, email, name, phone, version, created_at AS createdAt, updated_at AS updatedAt';

export class UsersRepository {
  private readonly byId: Statement;
  private readonly byEmail: Statement;
  private readonly insertRow: Statement;
  private readonly updateRow: Statement;

  constructor(db: Db) {
    this.byId = db.prepare(`SELECT ${COLUMNS} FROM users_users WHERE id = ?`);
    this.byEmail = db.prepare(`SELECT ${COLUMNS} FROM users_users WHERE email = ?`);
    this.insertRow = db.prepare(
      `INSERT INTO users_users (id, email, name, phone, version, created_at, updated_at)
       VALUES (@id, @email, @name, @phone, @version, @createdAt, @updatedAt)`,
    );
    this.updateRow = db.prepare(
      `UPDATE users_users SET email = @email, name = @name, phone = @phone, version = @version, updated_at = @updatedAt WHERE id = @id`,
    );
  }

  get(id: string): UserState | undefined {
    return this.byId.get(id) as UserState | undefined;
  }

  getByEmail(email: string): UserState | undefined {
    return this.byEmail.get(email) as UserState | undefined;
  }

  insert(user: UserState): void {
    this.insertRow.run(user);
  }

  update(user: UserState): void {
    this.updateRow.run(user);
  }
}

export function toUser({ version: _version, ...user }: UserState): User {
  return user;
}
