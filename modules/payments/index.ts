// The payments module's only public face.
import type { ModuleDefinition } from '../../src/runtime/module.js';
import { createPaymentCommands } from './commands.js';
import type { PaymentGateway } from './PaymentGateway.js';
import { PaymentsRepository } from './PaymentsRepository.js';
import { paymentsBillsProjection, paymentsPaymentsProjection } from './projections.js';
import { paymentsRoutes } from './routes.js';
import { SimulatedGateway } from './SimulatedGateway.js';
import { paymentsMigrations } from './tables.js';

export type { ChargeRequest, ChargeResult, PaymentGateway } from './PaymentGateway.js';
export { SIMULATOR_TOKENS } from './SimulatedGateway.js';

export const paymentsModule: ModuleDefinition = {
  name: 'payments',
  migrations: paymentsMigrations,
  create({ db, commit, commitGrouped, config, log }) {
    const repo = new PaymentsRepository(db);
    const gateway: PaymentGateway = new SimulatedGateway(db, config.paymentGatewayLatencyMs);
    const commands = createPaymentCommands(repo, { commit, commitGrouped }, gateway, log);
    // Deferred a turn so the host finishes loading first; events it commits before the transport starts wait
    // in the outbox, which the transport publishes when it starts.
    const resuming = new Promise<void>((resolve) => setImmediate(resolve)).then(() => commands.resumeInFlight()).catch((error: unknown) => log.error({ err: error }, 'resuming payments failed'));
    return {
      projections: [paymentsBillsProjection(repo), paymentsPaymentsProjection(repo)],
      routes: (router) => paymentsRoutes(router, repo, commands),
      stop: async () => {
        await resuming;
      },
    };
  },
};

// Pure rules and the pieces their unit tests drive; no other module may import them (test/architecture.unit.spec.ts).
export { decideOutcome, decideReservation, evolvePayableBill, paymentFromEvent } from './decide.js';
export type { Attempt } from './PaymentsRepository.js';
