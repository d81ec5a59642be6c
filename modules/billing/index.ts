// The billing module's only public face.
import type { ModuleDefinition } from '../../src/moduleKit.js';
import { createBillingCommands } from './commands.js';
import { billingBillsProjection, billingUsersProjection } from './projections.js';
import { billingPaymentsReaction } from './reactions.js';
import { billingRoutes } from './routes.js';
import { billingMigrations } from './tables.js';

export const billingModule: ModuleDefinition = {
  name: 'billing',
  migrations: billingMigrations,
  create({ db, commit }) {
    return {
      projections: [billingUsersProjection, billingBillsProjection],
      reactions: [billingPaymentsReaction],
      routes: (router) => billingRoutes(router, db, createBillingCommands(commit)),
    };
  },
};

// Pure rules and the pieces their unit tests drive; no other module may import them (test/architecture.unit.spec.ts).
export { decideCreateBill, decideMarkPaid, evolveBill, UnknownBillError } from './decide.js';
