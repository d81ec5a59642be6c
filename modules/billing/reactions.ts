// Billing's reaction to payments: a successful payment marks its bill paid by emitting bill.paid.
import type { EventEnvelope } from '../../src/events/envelope.js';
import type { DomainEvent } from '../../src/events/catalog.js';
import type { Reaction } from '../../src/runtime/module.js';
import type { BillsRepository } from './BillsRepository.js';
import { decideMarkPaid } from './decide.js';

export function billingPaymentsReaction(repo: BillsRepository): Reaction {
  return {
    name: 'billing.payments',
    types: ['payment.success'],
    handle(event: EventEnvelope, ctx) {
      const payment = event as DomainEvent<'payment.success'>;
      ctx.commit((uow) => {
        const bill = repo.get(payment.payload.billId);
        const events = decideMarkPaid(bill, payment);
        if (events.length > 0) uow.append(events, { expectedVersion: bill!.version });
        else ctx.log.info({ billId: payment.payload.billId, paymentId: payment.payload.paymentId }, 'bill already paid; payment.success ignored');
      });
    },
  };
}
