// Payments' projections: bills from billing's events, and the payment resource from payment events.
import type { EventEnvelope } from '../../src/events/envelope.js';
import type { DomainEvent } from '../../src/events/catalog.js';
import type { Projection } from '../../src/runtime/module.js';
import { evolvePayableBill, paymentFromEvent } from './decide.js';
import type { PaymentsRepository } from './PaymentsRepository.js';

export function paymentsBillsProjection(repo: PaymentsRepository): Projection {
  return {
    name: 'payments.bills',
    types: ['bill.created', 'bill.paid'],
    tables: ['payments_bills'],
    apply(event: EventEnvelope) {
      const current = repo.getBill(event.aggregateId);
      const next = evolvePayableBill(current, event as DomainEvent);
      if (next && next !== current) repo.saveBill(next);
    },
  };
}

export function paymentsPaymentsProjection(repo: PaymentsRepository): Projection {
  return {
    name: 'payments.payments',
    types: ['payment.success', 'payment.failed'],
    tables: ['payments_payments'],
    apply(event: EventEnvelope) {
      const payment = paymentFromEvent(event as DomainEvent);
      if (payment) repo.insertPayment(payment);
    },
  };
}
