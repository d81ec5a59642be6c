// Billing's reaction to payments: a successful payment marks its bill paid by emitting bill.paid.
import type { DomainEvent, TransactionalReaction } from '../../src/moduleKit.js';
import { billsRepository as bills } from './billsRepository.js';
import { decideMarkPaid } from './decide.js';

export const billingPaymentsReaction: TransactionalReaction = {
  name: 'billing.payments',
  types: ['payment.success'],
  async apply(event, { tx, append }, { log }) {
    const payment = event as DomainEvent<'payment.success'>;
    const bill = await bills.get(tx, payment.payload.billId);
    const events = decideMarkPaid(bill, payment);
    if (events.length > 0) await append(events, { expectedVersion: bill!.version });
    else log.info({ billId: payment.payload.billId, paymentId: payment.payload.paymentId }, 'bill already paid; payment.success ignored');
  },
};
