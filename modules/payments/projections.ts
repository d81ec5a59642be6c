// Payments' projections: bills from billing's events, and the payment resource from payment events.
import type { DomainEvent, Projection } from '../../src/moduleKit.js';
import { evolvePayableBill, paymentFromEvent } from './decide.js';
import { paymentsRepository as payments } from './paymentsRepository.js';

export const paymentsBillsProjection: Projection = {
  name: 'payments.bills',
  types: ['bill.created', 'bill.paid'],
  tables: ['payments_bills'],
  async apply(event, tx) {
    const current = await payments.getBill(tx, event.aggregateId);
    const next = evolvePayableBill(current, event as DomainEvent);
    if (next && next !== current) await payments.saveBill(tx, next);
  },
};

export const paymentsPaymentsProjection: Projection = {
  name: 'payments.payments',
  types: ['payment.success', 'payment.failed'],
  tables: ['payments_payments'],
  async apply(event, tx) {
    const payment = paymentFromEvent(event as DomainEvent);
    if (payment) await payments.insertPayment(tx, payment);
  },
};
