// Notifications' projections: users' contact details, and the sent notifications (rebuildable from notification.sent).
import { type DomainEvent, MissingStateError, type Projection } from '../../src/moduleKit.js';
import { notificationsRepository as notifications } from './notificationsRepository.js';

export const notificationsProjections: Projection[] = [
  {
    name: 'notifications.users',
    types: ['user.created', 'user.updated'],
    tables: ['notifications_users'],
    async apply(event, tx) {
      if (event.type === 'user.created') {
        const { userId, email, name, phone } = (event as DomainEvent<'user.created'>).payload;
        return notifications.saveUser(tx, { id: userId, email, name, phone });
      }
      const { userId, changes } = (event as DomainEvent<'user.updated'>).payload;
      const current = await notifications.getUser(tx, userId);
      // Changes to a user it never saw created have nothing to apply to: retried, then a dead letter, never dropped.
      if (!current) throw new MissingStateError(event, `user ${userId}`);
      await notifications.saveUser(tx, { ...current, ...changes });
    },
  },
  {
    name: 'notifications.notifications',
    types: ['notification.sent'],
    tables: ['notifications_notifications'],
    async apply(event, tx) {
      const p = (event as DomainEvent<'notification.sent'>).payload;
      await notifications.insert(tx, {
        id: p.notificationId,
        userId: p.userId,
        channel: p.channel,
        template: p.template,
        recipient: p.recipient,
        eventId: p.causationEventId,
        sentAt: event.occurredAt,
      });
    },
  },
];
