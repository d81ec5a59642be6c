// Notifications' projections: users' contact details, and the sent notifications (rebuildable from notification.sent).
import type { DomainEvent } from '../../src/events/catalog.js';
import type { EventEnvelope } from '../../src/events/envelope.js';
import type { Projection } from '../../src/runtime/module.js';
import type { NotificationsRepository } from './NotificationsRepository.js';

export function notificationsProjections(repo: NotificationsRepository): Projection[] {
  return [
    {
      name: 'notifications.users',
      types: ['user.created', 'user.updated'],
      tables: ['notifications_users'],
      apply(event: EventEnvelope) {
        const e = event as DomainEvent<'user.created' | 'user.updated'>;
        if (e.type === 'user.created') {
          const { userId, email, name, phone } = (e as DomainEvent<'user.created'>).payload;
          return repo.saveUser({ id: userId, email, name, phone });
        }
        const { userId, changes } = (e as DomainEvent<'user.updated'>).payload;
        const current = repo.getUser(userId);
        if (current) repo.saveUser({ ...current, ...changes });
      },
    },
    {
      name: 'notifications.notifications',
      types: ['notification.sent'],
      tables: ['notifications_notifications'],
      apply(event: EventEnvelope) {
        const p = (event as DomainEvent<'notification.sent'>).payload;
        repo.insert({
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
}
