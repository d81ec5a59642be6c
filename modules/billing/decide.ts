// Billing rules as pure functions: given a bill's state and a command or event, the events to append or an error.
import {
  causedBy,
  createBillCreatedEvent,
  createBillPaidEvent,
  type DomainEvent,
  type EventContext,
  MissingStateError,
  type PayloadOf,
  UnprocessableError,
} from '../../src/moduleKit.js';

/** A new bill carries exactly what its bill.created event will. */
export type CreateBill = PayloadOf<'bill.created'>;

export type BillStatus = 'pending' | 'payment_failed' | 'paid';

/** The bill resource of CONTRACT.md. */
export type Bill = Omit<CreateBill, 'billId'> & { id: string; status: BillStatus; paymentId: string | null; paidAt: string | null; createdAt: string };

/** A bill as its stream knows it: the resource plus the version of its last event. */
export interface BillState extends Bill {
  version: number;
}

export function toBill({ version: _version, ...bill }: BillState): Bill {
  return bill;
}

/** `userKnown`: whether billing has seen a user.created for cmd.userId. */
export function decideCreateBill(cmd: CreateBill, userKnown: boolean, ctx: EventContext): DomainEvent<'bill.created'>[] {
  if (!userKnown) throw new UnprocessableError(`no user with id ${cmd.userId}`, [{ field: 'userId', message: 'no such user' }]);
  return [createBillCreatedEvent(cmd.billId, cmd.userId, cmd.amount, cmd.currency, cmd.dueDate, cmd.description, { ...ctx, version: 1 })];
}

/** Thrown when a payment names a bill billing has not seen created: the processor retries it, then dead-letters it for an operator. */
export class UnknownBillError extends MissingStateError {
  override name = 'UnknownBillError';
  constructor(event: DomainEvent, billId: string) {
    super(event, `bill ${billId}`);
  }
}

/**
 * A successful payment pays its bill once. A paid bill stays paid with its first payment: a repeated or late
 * payment.success emits nothing (the payments module's reservation is what keeps a second charge from happening).
 */
export function decideMarkPaid(bill: BillState | undefined, payment: DomainEvent<'payment.success'>): DomainEvent<'bill.paid'>[] {
  const p = payment.payload;
  if (!bill) throw new UnknownBillError(payment, p.billId);
  if (bill.status === 'paid') return [];
  const ctx = causedBy(payment, bill.version + 1);
  return [createBillPaidEvent(bill.id, bill.userId, p.paymentId, bill.amount, bill.currency, payment.occurredAt, ctx)];
}

/**
 * Folds the events billing listens to into a bill's state: used by the projection and by rebuilds. A bill.paid or
 * payment.failed for a bill not created yet throws (UnknownBillError) rather than being dropped.
 */
export function evolveBill(state: BillState | undefined, event: DomainEvent): BillState | undefined {
  switch (event.type) {
    case 'bill.created': {
      const p = event.payload as PayloadOf<'bill.created'>;
      return { id: p.billId, userId: p.userId, amount: p.amount, currency: p.currency, dueDate: p.dueDate, description: p.description,
        status: 'pending', paymentId: null, paidAt: null, version: event.version, createdAt: event.occurredAt };
    }
    case 'bill.paid': {
      const p = event.payload as PayloadOf<'bill.paid'>;
      if (!state) throw new UnknownBillError(event, p.billId);
      return { ...state, status: 'paid', paymentId: p.paymentId, paidAt: p.paidAt, version: event.version };
    }
    case 'payment.failed':
      if (!state) throw new UnknownBillError(event, (event.payload as PayloadOf<'payment.failed'>).billId);
      // A failed attempt leaves the bill payable; one that arrives after the bill was paid changes nothing.
      return state.status !== 'paid' ? { ...state, status: 'payment_failed' } : state;
    default:
      return state;
  }
}
