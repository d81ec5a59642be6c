// Payments rules as pure functions: whether a bill may be charged, and what a gateway answer becomes.
import { ConflictError, UnprocessableError } from '../../src/errors.js';
import type { EventContext } from '../../src/events/envelope.js';
import { createPaymentFailedEvent, createPaymentSuccessEvent, type DomainEvent, type PayloadOf } from '../../src/events/catalog.js';
import type { ChargeResult } from './PaymentGateway.js';
import type { Attempt, PayableBill, Payment } from './PaymentsRepository.js';

export interface PayBill {
  paymentId: string;
  billId: string;
  amount: number;
  currency: string;
  source: string;
}

/**
 * The reservation to commit before charging, or why there must be no charge. `live` is the bill's attempt in
 * flight or the one that paid it: a second live attempt is how a bill would get charged twice.
 */
export function decideReservation(bill: PayableBill | undefined, live: Attempt | undefined, cmd: PayBill, ctx: EventContext, now: string): Attempt {
  if (!bill) throw new UnprocessableError(`no bill with id ${cmd.billId}`, [{ field: 'billId', message: 'no such bill' }]);
  if (cmd.amount !== bill.amount) {
    throw new UnprocessableError(`amount ${cmd.amount} is not the bill's amount ${bill.amount}`, [{ field: 'amount', message: `must equal the bill's amount ${bill.amount}` }]);
  }
  if (cmd.currency !== bill.currency) {
    throw new UnprocessableError(`currency ${cmd.currency} is not the bill's currency ${bill.currency}`, [{ field: 'currency', message: `must equal the bill's currency ${bill.currency}` }]);
  }
  if (bill.status === 'paid' || live?.state === 'succeeded') throw new ConflictError(`bill ${bill.billId} is already paid`);
  if (live) throw new ConflictError(`bill ${bill.billId} has a payment in progress`);
  const { paymentId: id, billId, amount, currency, source } = cmd;
  return { id, billId, userId: bill.userId, amount, currency, source, state: 'processing', correlationId: ctx.correlationId ?? null, reservedAt: now };
}

/** What the gateway's answer to a reserved attempt becomes: one payment event, the first of the payment's stream. */
export function decideOutcome(attempt: Attempt, result: ChargeResult, ctx: EventContext): (DomainEvent<'payment.success'> | DomainEvent<'payment.failed'>)[] {
  const { id, billId, userId, amount, currency } = attempt;
  const first = { ...ctx, version: 1 };
  if (result.status === 'succeeded') return [createPaymentSuccessEvent(id, billId, userId, amount, currency, first)];
  return [createPaymentFailedEvent(id, billId, userId, amount, currency, result.reason, first)];
}

/** Folds billing's events into what payments knows of a bill. */
export function evolvePayableBill(state: PayableBill | undefined, event: DomainEvent): PayableBill | undefined {
  if (event.type === 'bill.created') {
    if (state) return state;
    const p = event.payload as PayloadOf<'bill.created'>;
    return { billId: p.billId, userId: p.userId, amount: p.amount, currency: p.currency, status: 'open', paidBy: null };
  }
  if (event.type === 'bill.paid' && state) {
    const p = event.payload as PayloadOf<'bill.paid'>;
    return state.status === 'paid' ? state : { ...state, status: 'paid', paidBy: p.paymentId };
  }
  return state;
}

/** The payment resource a payment event describes. */
export function paymentFromEvent(event: DomainEvent): Payment | undefined {
  if (event.type !== 'payment.success' && event.type !== 'payment.failed') return undefined;
  const p = event.payload as PayloadOf<'payment.failed'> | PayloadOf<'payment.success'>;
  const failureReason = 'reason' in p ? p.reason : null;
  const status = event.type === 'payment.success' ? 'succeeded' : 'failed';
  return { id: p.paymentId, billId: p.billId, userId: p.userId, amount: p.amount, currency: p.currency, status, failureReason, createdAt: event.occurredAt };
}
