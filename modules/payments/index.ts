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
  create({ db, commit, config, instance, log }) {
    const gateway: PaymentGateway = new SimulatedGateway(db, config.paymentGatewayLatencyMs);
    const leaseMs = config.leaseTtlMs;
    const commands = createPaymentCommands({ db, commit, owner: instance.id, leaseMs }, gateway, log);
    return {
      projections: [paymentsBillsProjection, paymentsPaymentsProjection],
      routes: (router) => paymentsRoutes(router, db, commands),
      // Attempts whose owner died (or hangs) between reserving and recording: looked for every half lease, so a
      // survivor finishes a killed replica's payment within about one and a half leases of the kill.
      jobs: [{ name: 'resume-in-flight', everyMs: leaseMs / 2, run: (signal) => commands.resumeInFlight(signal).then(() => {}) }],
    };
  },
};

// Pure rules and the pieces their unit tests drive; no other module may import them (test/architecture.unit.spec.ts).
export { decideOutcome, decideReservation, evolvePayableBill, ownBill, paymentFromEvent, type Attempt } from './decide.js';
