// Payments rules as pure functions: whether a bill may be charged, and what a gateway answer becomes.
import {
  ConflictError,
  createPaymentFailedEvent,
  createPaymentSuccessEvent,
  type DomainEvent,
  type EventContext,
  NotFoundError,
  MissingStateError,
  type PayloadOf,
  UnprocessableError,
} from '../../src/moduleKit.js';
import type { ChargeResult } from './PaymentGateway.js';

type PaymentFacts = PayloadOf<'payment.success'>;

/** A bill as payments knows it from billing's events. */
export type PayableBill = Pick<PaymentFacts, 'billId' | 'userId' | 'amount' | 'currency'> & { status: 'open' | 'paid'; paidBy: string | null };

/** A request to pay: the facts a payment event will carry, but the user, which comes from the bill; plus the source. */
export type PayBill = Omit<PaymentFacts, 'userId'> & { source: string };

/** A reservation: the attempt to charge one bill, recorded before the gateway is called. */
export type Attempt = Omit<PaymentFacts, 'paymentId'> & {
  id: string;
  source: string;
  state: 'processing' | 'succeeded' | 'failed';
  correlationId: string | null;
  /** The caller who asked: a resumed attempt records its payment for them. */
  actor: string | null;
  reservedAt: string;
};

/** The payment resource of CONTRACT.md. */
export type Payment = Omit<PaymentFacts, 'paymentId'> & {
  id: string;
  status: 'succeeded' | 'failed';
  failureReason: string | null;
  createdAt: string;
};

/** The bill as a caller bound to `boundTo` may see it: another user's bill is not found, as if it did not exist. */
export function ownBill(bill: PayableBill | undefined, billId: string, boundTo: string | null): PayableBill | undefined {
  if (bill && boundTo !== null && bill.userId !== boundTo) throw new NotFoundError(`no bill with id ${billId}`);
  return bill;
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
  return { id, billId, userId: bill.userId, amount, currency, source, state: 'processing', correlationId: ctx.correlationId ?? null, actor: ctx.actor ?? null, reservedAt: now };
}

/** What the gateway's answer to a reserved attempt becomes: one payment event, the first of the payment's stream. */
export function decideOutcome(attempt: Attempt, result: ChargeResult, ctx: EventContext): (DomainEvent<'payment.success'> | DomainEvent<'payment.failed'>)[] {
  const { id, billId, userId, amount, currency } = attempt;
  const first = { ...ctx, version: 1 };
  if (result.status === 'succeeded') return [createPaymentSuccessEvent(id, billId, userId, amount, currency, first)];
  return [createPaymentFailedEvent(id, billId, userId, amount, currency, result.reason, first)];
}

/** Folds billing's events into what payments knows of a bill; a bill.paid before its bill.created throws, never drops. */
export function evolvePayableBill(state: PayableBill | undefined, event: DomainEvent): PayableBill | undefined {
  if (event.type === 'bill.created') {
    if (state) return state;
    const p = event.payload as PayloadOf<'bill.created'>;
    return { billId: p.billId, userId: p.userId, amount: p.amount, currency: p.currency, status: 'open', paidBy: null };
  }
  if (event.type === 'bill.paid') {
    const p = event.payload as PayloadOf<'bill.paid'>;
    if (!state) throw new MissingStateError(event, `bill ${p.billId}`);
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
