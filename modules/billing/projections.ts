// Billing's projections: the users it may bill, and bill state folded from bill.* and payment.failed events.
import type { DeliveredEvent, DomainEvent, Projection } from '../../src/moduleKit.js';
import { billsRepository as bills } from './billsRepository.js';
import { evolveBill } from './decide.js';

export const billingUsersProjection: Projection = {
  name: 'billing.users',
  types: ['user.created'],
  tables: ['billing_users'],
  async apply(event, tx) {
    await bills.addUser(tx, event.aggregateId, event.occurredAt);
  },
};

function billOf(event: DeliveredEvent): string {
  return event.type === 'payment.failed' ? String(event.payload.billId) : event.aggregateId;
}

export const billingBillsProjection: Projection = {
  name: 'billing.bills',
  types: ['bill.created', 'bill.paid', 'payment.failed'],
  tables: ['billing_bills'],
  // By bill, not by aggregate: a payment.failed (a payment's event) waits behind its bill's bill.created.
  orderingKey: billOf,
  async apply(event, tx) {
    const billId = billOf(event);
    const current = await bills.get(tx, billId);
    if (event.type === 'bill.created' && current) return;
    const next = evolveBill(current, event as DomainEvent);
    if (next && next !== current) await bills.save(tx, next);
  },
};
