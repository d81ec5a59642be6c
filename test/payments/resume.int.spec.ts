import { expect } from 'chai';
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import supertest from 'supertest';
import { createApp, type PaybusApp } from '../../src/createApp.js';
import { tempDir, testConfig } from '../support/testApp.js';

// A crash between the reservation commit and the outcome commit leaves an attempt "processing". The next start
// resumes it with the same payment id, which the gateway treats as its idempotency key: payments declares that as a
// background job the host runs once delivery has started.
describe('resuming a payment a crash interrupted', () => {
  let dir: string;
  let app: PaybusApp | undefined;
  const env = { MODULES: 'users,billing,payments' };

  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(async () => {
    await app?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Starts an app on `dir`; `recorded` resolves once a commit appends a payment.* event for `paymentId`. */
  async function start(paymentId?: string) {
    const started = await createApp(testConfig(env, dir));
    app = started;
    // Listening before start: the resume job starts with it and may commit before start() resolves.
    const recorded = new Promise<void>((resolve) =>
      started.host.commitListeners.push((events) => {
        if (events.some((e) => e.type.startsWith('payment.') && e.aggregateId === paymentId)) resolve();
      }),
    );
    await started.start();
    return { app: started, http: supertest(started.http), recorded };
  }

  /** Leaves the state a SIGKILL leaves after commit 1 (and, with `charged`, after the gateway took the money). */
  async function crashMidPayment(charged: boolean) {
    const { app: first, http } = await start();
    const user = await http.post('/users').send({ email: `${randomUUID()}@example.com`, name: 'Ada' }).expect(201);
    const bill = (await http.post('/bills').send({ userId: user.body.id, amount: 4200, currency: 'EUR', dueDate: '2030-01-31' }).expect(201)).body;
    const paymentId = randomUUID();
    const now = new Date().toISOString();
    await first.storage.run(
      `INSERT INTO payments_attempts (id, bill_id, user_id, amount, currency, source, state, correlation_id, reserved_at) VALUES (?, ?, ?, 4200, 'EUR', 'tok_visa', 'processing', 'corr-crash', ?)`,
      [paymentId, bill.id, bill.userId, now],
    );
    if (charged) {
      await first.storage.run(
        `INSERT INTO payments_simulator_charges (payment_id, bill_id, amount, currency, source, status, reason, charged_at) VALUES (?, ?, 4200, 'EUR', 'tok_visa', 'succeeded', NULL, ?)`,
        [paymentId, bill.id, now],
      );
    }
    // While the reservation stands, nobody else may charge the bill.
    await http.post('/payments').send({ billId: bill.id, amount: 4200, currency: 'EUR', source: 'tok_visa' }).expect(409);
    await first.stop();
    app = undefined;
    return { bill, paymentId };
  }

  for (const charged of [true, false]) {
    it(`when the crash came ${charged ? 'after' : 'before'} the gateway charged, then the restart records the payment with exactly one charge and billing pays the bill`, async () => {
      const { bill, paymentId } = await crashMidPayment(charged);
      const { app: second, http, recorded } = await start(paymentId);
      // No deadline of its own: a resume that never comes fails on the test's timeout.
      await recorded;
      const payment = (await http.get(`/payments/${paymentId}`).expect(200)).body;
      expect(payment).to.deep.include({ billId: bill.id, status: 'succeeded' });
      await second.host.idle();
      expect((await http.get(`/bills/${bill.id}`).expect(200)).body).to.deep.include({ status: 'paid', paymentId });
      expect(await second.storage.value('SELECT COUNT(*) FROM payments_simulator_charges WHERE bill_id = ?', [bill.id])).to.equal(1);
      const [event] = await second.store.readAll({ types: ['payment.success'], limit: 10 });
      expect(event!.metadata.correlationId).to.equal('corr-crash');
      await http.post('/payments').send({ billId: bill.id, amount: 4200, currency: 'EUR', source: 'tok_visa' }).expect(409);
    });
  }
});
