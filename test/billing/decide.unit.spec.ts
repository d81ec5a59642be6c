import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { decideCreateBill, decideMarkPaid, evolveBill, UnknownBillError } from '../../modules/billing/index.js';
import { MissingStateError, UnprocessableError } from '../../src/errors.js';
import { createBillCreatedEvent, createBillPaidEvent, createPaymentFailedEvent, createPaymentSuccessEvent, type DomainEvent } from '../../src/events/catalog.js';
import { DeciderSpec } from '../support/DeciderSpec.js';

const spec = DeciderSpec(evolveBill);
const billId = randomUUID();
const userId = randomUUID();
const created = createBillCreatedEvent(billId, userId, 4200, 'EUR', '2030-01-31', 'water', { version: 1 });
const success = (paymentId = randomUUID()) => createPaymentSuccessEvent(paymentId, billId, userId, 4200, 'EUR', { correlationId: 'corr-1' });
const failed = (paymentId = randomUUID()) => createPaymentFailedEvent(paymentId, billId, userId, 4200, 'EUR', 'card_declined');
const paid = (paymentId: string) => createBillPaidEvent(billId, userId, paymentId, 4200, 'EUR', '2030-01-02T10:00:00.000Z', { version: 2 });

describe('billing rules', () => {
  describe('create a bill', () => {
    const cmd = { billId, userId, amount: 4200, currency: 'EUR', dueDate: '2030-01-31', description: null };

    it('when the user is known, then bill.created is the first event of the bill', () => {
      spec
        .given([])
        .when(() => decideCreateBill(cmd, true, { correlationId: 'c' }))
        .then(([event]) => {
          expect(event).to.include({ type: 'bill.created', aggregateId: billId, version: 1 });
          expect(event!.payload).to.deep.equal({ billId, userId, amount: 4200, currency: 'EUR', dueDate: '2030-01-31', description: null });
          expect(event!.metadata.correlationId).to.equal('c');
        });
    });

    it('when billing does not know the user, then it is refused naming userId', () => {
      const error = spec
        .given([])
        .when(() => decideCreateBill(cmd, false, {}))
        .thenThrows(UnprocessableError, /no user/);
      expect((error as UnprocessableError).errors).to.deep.equal([{ field: 'userId', message: 'no such user' }]);
    });
  });

  describe('mark a bill paid on payment.success', () => {
    it('given a pending bill, then bill.paid follows with the payment, version + 1 and the payment as cause', () => {
      const payment = success();
      spec
        .given([created])
        .when((bill) => decideMarkPaid(bill, payment))
        .then(([event]) => {
          expect(event).to.include({ type: 'bill.paid', aggregateId: billId, version: 2 });
          expect(event!.payload).to.deep.include({ paymentId: payment.payload.paymentId, amount: 4200, currency: 'EUR', paidAt: payment.occurredAt });
          expect(event!.metadata).to.deep.include({ causationId: payment.id, correlationId: 'corr-1' });
        });
    });

    it('given a bill whose last payment failed, then it can still be paid', () => {
      spec
        .given([created, failed()])
        .when((bill) => decideMarkPaid(bill, success()))
        .then((events) => expect(events.map((e) => e.type)).to.deep.equal(['bill.paid']));
    });

    it('given a paid bill, then a repeated or late payment.success emits nothing', () => {
      const first = success();
      spec
        .given([created, paid(first.payload.paymentId)])
        .when((bill) => [...decideMarkPaid(bill, first), ...decideMarkPaid(bill, success())])
        .then((events) => expect(events).to.deep.equal([]));
    });

    it('given no bill, then it throws so the event is retried and then dead-lettered', () => {
      spec
        .given([])
        .when((bill) => decideMarkPaid(bill, success()))
        .thenThrows(UnknownBillError);
    });
  });

  describe('bill state', () => {
    const fold = (events: DomainEvent[]) => events.reduce(evolveBill, undefined);

    it('is pending when created, payment_failed after a failed payment, paid after bill.paid', () => {
      expect(fold([created])!.status).to.equal('pending');
      expect(fold([created, failed()])!.status).to.equal('payment_failed');
      expect(fold([created, failed(), paid('p1')])).to.deep.include({ status: 'paid', paymentId: 'p1', version: 2 });
    });

    it('stays paid when payment.failed arrives after bill.paid', () => {
      expect(fold([created, paid('p1'), failed()])).to.deep.include({ status: 'paid', paymentId: 'p1', paidAt: '2030-01-02T10:00:00.000Z' });
    });

    it('refuses bill.paid or payment.failed before bill.created, naming the event and the bill, instead of dropping it', () => {
      for (const early of [paid('p1'), failed()]) {
        expect(() => fold([early]))
          .to.throw(MissingStateError, `${early.type} ${early.id} is about bill ${billId}, which this subscriber has not seen yet`)
          .and.include({ missing: `bill ${billId}`, retryable: true });
      }
    });
  });
});
