// Sends the notifications an event causes, each channel at most once per event, and records each with notification.sent.
import {
  causedBy,
  type Commit,
  createNotificationSentEvent,
  type DomainEvent,
  type EffectfulReaction,
  errorMessage,
  MissingStateError,
  type Sql,
} from '../../src/moduleKit.js';
import type { MailSender } from './MailSender.js';
import { notificationsRepository as notifications } from './notificationsRepository.js';
import { type PlannedNotification, planNotifications } from './plan.js';
import type { SmsProvider } from './SmsProvider.js';
import { TEMPLATE_TYPES, type TemplateType } from './templates.js';

export interface SendDeps {
  db: Sql;
  mail: MailSender;
  sms: SmsProvider;
  /** The host's commit, not ctx.commit: see handle. */
  commit: Commit;
}

export function sendNotificationsReaction(deps: SendDeps): EffectfulReaction {
  const { db, mail, sms, commit } = deps;

  const deliver = (n: PlannedNotification) =>
    n.channel === 'email'
      ? mail.send({ id: n.notificationId, to: n.recipient, subject: n.subject, text: n.text })
      : sms.send({ id: n.notificationId, to: n.recipient, text: n.text });

  const record = (event: DomainEvent<TemplateType>, n: PlannedNotification) =>
    commit(({ append }) =>
      append(
        [createNotificationSentEvent(n.notificationId, event.payload.userId, n.channel, n.template, n.recipient, event.id, causedBy(event, 1))],
        { expectedVersion: 0 },
      ),
    );

  return {
    name: 'notifications.send',
    types: [...TEMPLATE_TYPES],
    // A user's mails go out in the order of their events ("new bill" before "payment received"); users side by side.
    orderingKey: (event) => String((event as DomainEvent<TemplateType>).payload.userId),
    /**
     * Each channel is committed on its own (the notification.sent projection is the per-channel record), and
     * the host marks the event handled only after every channel went out. ctx.commit would mark the whole event
     * handled at the first channel, so an SMS failing after the email would never be retried.
     * One channel failing does not hold back the other; the event is retried for what is still unsent.
     */
    async handle(envelope) {
      const event = envelope as DomainEvent<TemplateType>;
      const user = await notifications.getUser(db, event.payload.userId);
      // In broker mode the user's events may still be on their way: fail, so the processor retries.
      if (!user) throw new MissingStateError(event, `user ${event.payload.userId}`);
      const failures: string[] = [];
      for (const n of planNotifications(event, user)) {
        if (await notifications.hasSent(db, event.id, n.channel)) continue;
        try {
          await deliver(n);
        } catch (error) {
          failures.push(`${n.channel} to ${n.recipient}: ${errorMessage(error)}`);
          continue;
        }
        await record(event, n);
      }
      if (failures.length > 0) throw new Error(`could not send ${failures.join('; ')}`);
    },
  };
}
