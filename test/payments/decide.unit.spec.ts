import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { decideOutcome, decideReservation, evolvePayableBill, ownBill, paymentFromEvent } from '../../modules/payments/index.js';
import type { Attempt } from '../../modules/payments/index.js';
import { ConflictError, MissingStateError, NotFoundError, UnprocessableError } from '../../src/errors.js';
import { createBillCreatedEvent, createBillPaidEvent } from '../../src/events/catalog.js';
import { DeciderSpec } from '../support/DeciderSpec.js';

const spec = DeciderSpec(evolvePayableBill);
const billId = randomUUID();
const userId = randomUUID();
const now = '2030-01-01T00:00:00.000Z';
const created = createBillCreatedEvent(billId, userId, 4200, 'EUR', '2030-01-31', null, { version: 1 });
const paid = createBillPaidEvent(billId, userId, randomUUID(), 4200, 'EUR', now, { version: 2 });
const pay = (extra: Partial<{ amount: number; currency: string }> = {}) => ({ paymentId: randomUUID(), billId, amount: 4200, currency: 'EUR', source: 'tok_visa', ...extra });
const attempt = (state: Attempt['state']): Attempt => ({ id: randomUUID(), billId, userId, amount: 4200, currency: 'EUR', source: 'tok_visa', state, correlationId: 'c', actor: null, reservedAt: now });

describe('payments rules', () => {
  describe('whose bill a caller may pay', () => {
    it("given a caller bound to the bill's user or to none, then the bill; bound to another user, then 404 as for no bill", () => {
      spec.given([created]).when((bill) => ownBill(bill, billId, userId)).then((bill) => expect(bill).to.include({ billId }));
      spec.given([created]).when((bill) => ownBill(bill, billId, null)).then((bill) => expect(bill).to.include({ billId }));
      spec.given([created]).when((bill) => ownBill(bill, billId, randomUUID())).thenThrows(NotFoundError, /no bill/);
      spec.given([]).when((bill) => ownBill(bill, billId, randomUUID())).then((bill) => expect(bill).to.equal(undefined));
    });
  });

  describe('reserve a payment', () => {
    it('given an open bill and no live attempt, then a processing reservation is made for the bill', () => {
      const cmd = pay();
      spec
        .given([created])
        .when((bill) => decideReservation(bill, undefined, cmd, { correlationId: 'c', actor: 'svc-1' }, now))
        .then((reservation) =>
          expect(reservation).to.deep.equal({ id: cmd.paymentId, billId, userId, amount: 4200, currency: 'EUR', source: 'tok_visa', state: 'processing', correlationId: 'c', actor: 'svc-1', reservedAt: now }),
        );
    });

    it('given a bill whose earlier attempt failed, then a new reservation is allowed', () => {
      spec
        .given([created])
        .when((bill) => decideReservation(bill, undefined, pay(), {}, now).state)
        .then((state) => expect(state).to.equal('processing'));
    });

    it('given no bill, then 422 names billId', () => {
      const error = spec.given([]).when((bill) => decideReservation(bill, undefined, pay(), {}, now)).thenThrows(UnprocessableError, /no bill/);
      expect((error as UnprocessableError).errors![0]!.field).to.equal('billId');
    });

    it("given an amount that is not the bill's, then 422 names amount", () => {
      const error = spec.given([created]).when((bill) => decideReservation(bill, undefined, pay({ amount: 4199 }), {}, now)).thenThrows(UnprocessableError);
      expect((error as UnprocessableError).errors![0]!.field).to.equal('amount');
    });

    it("given a currency that is not the bill's, then 422 names currency", () => {
      const error = spec.given([created]).when((bill) => decideReservation(bill, undefined, pay({ currency: 'USD' }), {}, now)).thenThrows(UnprocessableError);
      expect((error as UnprocessableError).errors![0]!.field).to.equal('currency');
    });

    it('given a paid bill, then 409', () => {
      spec.given([created, paid]).when((bill) => decideReservation(bill, undefined, pay(), {}, now)).thenThrows(ConflictError, /already paid/);
    });

    it('given a succeeded attempt that billing has not reported paid yet, then 409', () => {
      spec.given([created]).when((bill) => decideReservation(bill, attempt('succeeded'), pay(), {}, now)).thenThrows(ConflictError, /already paid/);
    });

    it('given an attempt in flight, then 409', () => {
      spec.given([created]).when((bill) => decideReservation(bill, attempt('processing'), pay(), {}, now)).thenThrows(ConflictError, /in progress/);
    });
  });

  describe('record the gateway answer', () => {
    it('when the charge succeeded, then payment.success is the first event of the payment', () => {
      const a = attempt('processing');
      const [event] = decideOutcome(a, { status: 'succeeded' }, { correlationId: 'c' });
      expect(event).to.deep.include({ type: 'payment.success', aggregateType: 'payment', aggregateId: a.id, version: 1 });
      expect(event!.payload).to.deep.equal({ paymentId: a.id, billId, userId, amount: 4200, currency: 'EUR' });
      expect(paymentFromEvent(event!)).to.deep.include({ status: 'succeeded', failureReason: null });
    });

    it('when the charge was declined, then payment.failed carries the reason', () => {
      const [event] = decideOutcome(attempt('processing'), { status: 'failed', reason: 'insufficient_funds' }, {});
      expect(event).to.deep.include({ type: 'payment.failed', version: 1 });
      expect(event!.payload).to.deep.include({ reason: 'insufficient_funds' });
      expect(paymentFromEvent(event!)).to.deep.include({ status: 'failed', failureReason: 'insufficient_funds' });
    });
  });

  describe('what payments knows of a bill', () => {
    it('is open when created, paid by the payment of bill.paid, and a repeated bill.created changes nothing', () => {
      const fold = spec.given([created, paid, created]).when((bill) => bill);
      fold.then((bill) => expect(bill).to.deep.include({ status: 'paid', paidBy: paid.payload.paymentId, amount: 4200 }));
    });

    it('refuses a bill.paid before its bill.created instead of dropping it', () => {
      expect(() => evolvePayableBill(undefined, paid)).to.throw(MissingStateError, `bill.paid ${paid.id} is about bill ${paid.payload.billId}`);
    });
  });
});
