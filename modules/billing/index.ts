// The billing module's only public face.
import type { ModuleDefinition } from '../../src/runtime/module.js';
import { BillsRepository } from './BillsRepository.js';
import { createBillingCommands } from './commands.js';
import { billingBillsProjection, billingUsersProjection } from './projections.js';
import { billingPaymentsReaction } from './reactions.js';
import { billingRoutes } from './routes.js';
import { billingMigrations } from './tables.js';

export const billingModule: ModuleDefinition = {
  name: 'billing',
  migrations: billingMigrations,
  create({ db, commit }) {
    const repo = new BillsRepository(db);
    const commands = createBillingCommands(repo, commit);
    return {
      projections: [billingUsersProjection(repo), billingBillsProjection(repo)],
      reactions: [billingPaymentsReaction(repo)],
      routes: (router) => billingRoutes(router, repo, commands),
    };
  },
};

// Pure rules and the pieces their unit tests drive; no other module may import them (test/architecture.unit.spec.ts).
export { decideCreateBill, decideMarkPaid, evolveBill, UnknownBillError } from './decide.js';
