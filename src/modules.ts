// The registry of domain modules: the only place the runtime imports them, and only through their index.ts.
import type { ModuleName } from './config.js';
import type { ModuleDefinition } from './runtime/module.js';
import { usersModule } from '../modules/users/index.js';
import { billingModule } from '../modules/billing/index.js';
import { paymentsModule } from '../modules/payments/index.js';
import { documentsModule } from '../modules/documents/index.js';
import { notificationsModule } from '../modules/notifications/index.js';
import { analyticsModule } from '../modules/analytics/index.js';

export const moduleDefinitions: Record<ModuleName, ModuleDefinition> = {
  users: usersModule,
  billing: billingModule,
  payments: paymentsModule,
  documents: documentsModule,
  notifications: notificationsModule,
  analytics: analyticsModule,
};
