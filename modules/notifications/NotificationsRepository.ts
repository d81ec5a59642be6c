// Data access for the notifications tables: plain objects in and out, prepared statements only.
import type { Statement } from 'better-sqlite3';
import type { Db } from '../../src/db/openDatabase.js';

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

const COLUMNS = `id, user_id AS userId, channel, template, recipient, 'sent' AS status, event_id AS eventId, sent_at AS sentAt`;

export class NotificationsRepository {
  private readonly userById: Statement;
  private readonly upsertUser: Statement;
  private readonly sentFor: Statement;
  private readonly insertRow: Statement;
  private readonly byUser: Statement;

  constructor(db: Db) {
    this.userById = db.prepare('SELECT id, email, name, phone FROM notifications_users WHERE id = ?');
    this.upsertUser = db.prepare(
      `INSERT INTO notifications_users (id, email, name, phone) VALUES (@id, @email, @name, @phone)
       ON CONFLICT (id) DO UPDATE SET email = excluded.email, name = excluded.name, phone = excluded.phone`,
    );
    this.sentFor = db.prepare('SELECT 1 FROM notifications_notifications WHERE event_id = ? AND channel = ?').pluck();
    this.insertRow = db.prepare(
      `INSERT INTO notifications_notifications (id, user_id, channel, template, recipient, event_id, sent_at)
       VALUES (@id, @userId, @channel, @template, @recipient, @eventId, @sentAt)`,
    );
    this.byUser = db.prepare(`SELECT ${COLUMNS} FROM notifications_notifications WHERE user_id = ? ORDER BY sent_at, rowid`);
  }

  getUser(id: string): Recipient | undefined {
    return this.userById.get(id) as Recipient | undefined;
  }

  saveUser(user: Recipient): void {
    this.upsertUser.run(user);
  }

  hasSent(eventId: string, channel: Channel): boolean {
    return this.sentFor.get(eventId, channel) !== undefined;
  }

  insert(notification: Omit<Notification, 'status'>): void {
    this.insertRow.run(notification);
  }

  listByUser(userId: string): Notification[] {
    return this.byUser.all(userId) as Notification[];
  }
}
