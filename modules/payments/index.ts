// The payments module's only public face.
import type { ModuleDefinition } from '../../src/moduleKit.js';
import { createPaymentCommands } from './commands.js';
import type { PaymentGateway } from './PaymentGateway.js';
import { paymentsBillsProjection, paymentsPaymentsProjection } from './projections.js';
import { paymentsRoutes } from './routes.js';
import { SimulatedGateway } from './SimulatedGateway.js';
import { paymentsMigrations } from './tables.js';

export type { ChargeRequest, ChargeResult, PaymentGateway } from './PaymentGateway.js';
export { SIMULATOR_TOKENS } from './SimulatedGateway.js';

export const paymentsModule: ModuleDefinition = {
  name: 'payments',
  migrations: paymentsMigrations,
  create({ db, commit, config, log }) {
    const gateway: PaymentGateway = new SimulatedGateway(db, config.paymentGatewayLatencyMs);
    const commands = createPaymentCommands({ db, commit }, gateway, log);
    return {
      projections: [paymentsBillsProjection, paymentsPaymentsProjection],
      routes: (router) => paymentsRoutes(router, db, commands),
      // Attempts a crash left between reserving and recording: resumed once delivery runs.
      jobs: [{ name: 'payments.resume-in-flight', run: (signal) => commands.resumeInFlight(signal).then(() => {}) }],
    };
  },
};

// Pure rules and the pieces their unit tests drive; no other module may import them (test/architecture.unit.spec.ts).
export { decideOutcome, decideReservation, evolvePayableBill, ownBill, paymentFromEvent, type Attempt } from './decide.js';
