// The notifications module's only public face.
import type { Config, ModuleDefinition } from '../../src/moduleKit.js';
import { createMailSender, type MailSender } from './MailSender.js';
import { notificationsProjections } from './projection.js';
import { sendNotificationsReaction } from './reaction.js';
import { notificationsRoutes } from './routes.js';
import { LogFileSmsProvider, type SmsProvider } from './SmsProvider.js';
import { notificationsMigrations } from './tables.js';

export type { MailSender, OutgoingMail } from './MailSender.js';
export type { OutgoingSms, SmsProvider } from './SmsProvider.js';

export interface NotificationsOptions {
  /** Another SMS provider (a real gateway); the default appends to SMS_LOG_PATH. */
  smsProvider?: (config: Config) => SmsProvider;
  mailSender?: (config: Config) => MailSender;
}

export function createNotificationsModule(options: NotificationsOptions = {}): ModuleDefinition {
  return {
    name: 'notifications',
    migrations: notificationsMigrations,
    create({ db, commit, config }) {
      const mail = options.mailSender?.(config) ?? createMailSender(config);
      const sms = options.smsProvider?.(config) ?? new LogFileSmsProvider(config.smsLogPath);
      return {
        projections: notificationsProjections,
        reactions: [sendNotificationsReaction({ db, mail, sms, commit })],
        routes: (router) => notificationsRoutes(router, db),
        stop: () => mail.close(),
      };
    },
  };
}

export const notificationsModule = createNotificationsModule();

// Pure rules and the pieces their unit tests drive; no other module may import them (test/architecture.unit.spec.ts).
export { notificationIdFor, planNotifications } from './plan.js';
export { formatAmount } from './templates.js';
export { fileMailSender } from './MailSender.js';
