// The users read model: one row a user, kept by the users projection from user.* events.
import type { Migration } from '../../src/moduleKit.js';

export const usersMigrations: Migration[] = [
  {
    id: '001-users',
    sql: `
      CREATE TABLE users_users (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        phone TEXT,
        version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
    `,
  },
];
