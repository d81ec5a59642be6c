// Data access for the notifications tables: plain objects in and out, prepared statements only.
import type { Sql } from '../../src/moduleKit.js';

export interface Recipient {
  id: string;
  email: string;
  name: string;
  phone: string | null;
}

export type Channel = 'email' | 'sms';

export interface Notification {
  id: string;
  userId: string;
  channel: Channel;
  template: string;
  recipient: string;
  status: 'sent';
  eventId: string;
  sentAt: string;
}

const COLUMNS = `id, user_id AS "userId", channel, template, recipient, 'sent' AS status, event_id AS "eventId", sent_at AS "sentAt"`;

const SQL = {
  user: 'SELECT id, email, name, phone FROM notifications_users WHERE id = ?',
  saveUser: `INSERT INTO notifications_users (id, email, name, phone) VALUES (?, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET email = excluded.email, name = excluded.name, phone = excluded.phone`,
  sentFor: 'SELECT 1 FROM notifications_notifications WHERE event_id = ? AND channel = ?',
  insert: `INSERT INTO notifications_notifications (id, user_id, channel, template, recipient, event_id, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  // In the order they were sent (SQLite's rowid breaks ties in that order; PostgreSQL has none).
  byUser: {
    sqlite: `SELECT ${COLUMNS} FROM notifications_notifications WHERE user_id = ? ORDER BY sent_at, rowid`,
    postgres: `SELECT ${COLUMNS} FROM notifications_notifications WHERE user_id = ? ORDER BY sent_at, template, channel`,
  },
};

export const notificationsRepository = {
  getUser: (db: Sql, id: string) => db.one<Recipient>(SQL.user, [id]),

  async saveUser(db: Sql, u: Recipient): Promise<void> {
    await db.run(SQL.saveUser, [u.id, u.email, u.name, u.phone]);
  },

  hasSent: async (db: Sql, eventId: string, channel: Channel) => (await db.value(SQL.sentFor, [eventId, channel])) !== undefined,

  async insert(db: Sql, n: Omit<Notification, 'status'>): Promise<void> {
    await db.run(SQL.insert, [n.id, n.userId, n.channel, n.template, n.recipient, n.eventId, n.sentAt]);
  },

  listByUser: (db: Sql, userId: string) => db.all<Notification>(SQL.byUser, [userId]),
};
