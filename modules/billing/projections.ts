// Billing's projections: the users it may bill, and bill state folded from bill.* and payment.failed events.
import type { EventEnvelope } from '../../src/events/envelope.js';
import type { DomainEvent } from '../../src/events/catalog.js';
import type { Projection } from '../../src/runtime/module.js';
import type { BillsRepository } from './BillsRepository.js';
import { evolveBill } from './decide.js';

export function billingUsersProjection(repo: BillsRepository): Projection {
  return {
    name: 'billing.users',
    types: ['user.created'],
    tables: ['billing_users'],
    apply(event: EventEnvelope) {
      repo.addUser(event.aggregateId, event.occurredAt);
    },
  };
}

export function billingBillsProjection(repo: BillsRepository): Projection {
  return {
    name: 'billing.bills',
    types: ['bill.created', 'bill.paid', 'payment.failed'],
    tables: ['billing_bills'],
    apply(event: EventEnvelope) {
      const billId = event.type === 'payment.failed' ? String(event.payload.billId) : event.aggregateId;
      const current = repo.get(billId);
      if (event.type === 'bill.created' && current) return;
      const next = evolveBill(current, event as DomainEvent);
      if (next && next !== current) repo.save(next);
    },
  };
}
