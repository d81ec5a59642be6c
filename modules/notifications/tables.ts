// The notifications read model: the users it writes to, and every notification sent (from notification.sent).
import type { Migration } from '../../src/moduleKit.js';

export const notificationsMigrations: Migration[] = [
  {
    id: '001-notifications',
    sql: `
      CREATE TABLE notifications_users (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL,
        name TEXT NOT NULL,
        phone TEXT
      );
      CREATE TABLE notifications_notifications (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
        template TEXT NOT NULL,
        recipient TEXT NOT NULL,
        event_id TEXT NOT NULL,
        sent_at TEXT NOT NULL,
        -- one notification per causing event and channel: what makes a redelivered event send nothing twice
        UNIQUE (event_id, channel)
      );
      CREATE INDEX notifications_notifications_user ON notifications_notifications (user_id, sent_at);
    `,
  },
];
