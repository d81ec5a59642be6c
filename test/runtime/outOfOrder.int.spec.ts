// An event about state a projection has not seen (bill.paid before bill.created, as competing consumers or a late
// start can deliver them) is never dropped: the projection throws MissingStateError, the runner retries it, then
// dead-letters it with an error log naming the event and what was missing; retried once the state exists, it applies.
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createBillCreatedEvent, createBillPaidEvent, createUserCreatedEvent, createUserUpdatedEvent } from '../../src/events/catalog.js';
import type { EventEnvelope } from '../../src/events/envelope.js';
import { BatchRunner } from '../../src/runtime/BatchRunner.js';
import { captureLog } from '../support/captureLog.js';
import { startTestApp, type TestApp } from '../support/testApp.js';

const billId = randomUUID();
const userId = randomUUID();
const billCreated = createBillCreatedEvent(billId, userId, 4200, 'EUR', '2030-01-31', 'water', { version: 1 });
const billPaid = createBillPaidEvent(billId, userId, randomUUID(), 4200, 'EUR', '2030-01-02T10:00:00.000Z', { version: 2 });
const userCreated = createUserCreatedEvent(userId, `${randomUUID()}@x.test`, 'Ada', null);
const userUpdated = createUserUpdatedEvent(userId, { name: 'Ada L.' }, { version: 2 });

/** Every projection that folds an event into state another event makes: the late one, and the one it needs. */
const CASES: { projection: string; early: EventEnvelope; needs: EventEnvelope; missing: string }[] = [
  { projection: 'payments.bills', early: billPaid, needs: billCreated, missing: `bill ${billId}` },
  { projection: 'billing.bills', early: billPaid, needs: billCreated, missing: `bill ${billId}` },
  { projection: 'users.users', early: userUpdated, needs: userCreated, missing: `user ${userId}` },
  { projection: 'notifications.users', early: userUpdated, needs: userCreated, missing: `user ${userId}` },
];

describe('an event that arrives before the state it is about', () => {
  let t: TestApp;
  let lines: Record<string, unknown>[];
  let runner: BatchRunner;
  beforeEach(async () => {
    const captured = captureLog();
    lines = captured.lines;
    t = await startTestApp({ MODULES: 'users,billing,payments,notifications' }, { log: captured.log });
    runner = new BatchRunner('out-of-order', { commit: t.app.host.commit.bind(t.app.host), processor: t.app.processor, log: captured.log });
  });
  afterEach(async () => {
    await runner.stop();
    await t.stop();
  });

  /** Delivers an event to one projection the way a module queue's consumer does (it is not in this log). */
  const deliver = (event: EventEnvelope, projection: string) =>
    new Promise<void>((resolve, reject) => runner.push({ event, subscriber: t.app.host.subscribers.get(projection)!, done: resolve, abandoned: () => reject(new Error('abandoned')) }));

  for (const { projection, early, needs, missing } of CASES) {
    it(`${projection}: ${early.type} first is retried, dead-lettered and logged as an error naming ${missing}; after ${needs.type} its retry applies it`, async () => {
      await deliver(early, projection);
      const [letter] = await t.app.deadLetters.find({ subscriber: projection });
      expect(letter).to.include({ eventId: early.id, eventType: early.type, attempts: t.app.config.retry.attempts });
      expect(letter!.error).to.include(`${early.type} ${early.id} is about ${missing}, which this subscriber has not seen yet`);
      const errors = lines.filter((l) => l.level === 50 && l.subscriber === projection);
      expect(errors.map((l) => [l.msg, l.eventId, l.eventType, l.missingState])).to.deep.equal([['handler failed on its last attempt; event dead-lettered', early.id, early.type, missing]]);
      expect(lines.filter((l) => l.level === 40 && l.subscriber === projection && l.eventId === early.id)).to.have.length(t.app.config.retry.attempts - 1);

      await deliver(needs, projection);
      expect(await t.app.processor.retryDeadLetter(letter!.id)).to.equal('handled');
      expect(await t.app.deadLetters.find({ subscriber: projection })).to.deep.equal([]);
    });
  }

  it('payments.bills: the bill.paid it could not apply is applied by the retry, not lost', async () => {
    const state = () => t.app.storage.one('SELECT status, paid_by AS "paidBy" FROM payments_bills WHERE bill_id = ?', [billId]);
    await deliver(billPaid, 'payments.bills');
    expect(await state()).to.equal(undefined);
    await deliver(billCreated, 'payments.bills');
    expect(await state()).to.deep.equal({ status: 'open', paidBy: null });
    const [letter] = await t.app.deadLetters.find({ subscriber: 'payments.bills' });
    await t.app.processor.retryDeadLetter(letter!.id);
    expect(await state()).to.deep.equal({ status: 'paid', paidBy: billPaid.payload.paymentId });
  });
});
