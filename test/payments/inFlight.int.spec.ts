// Payment attempts in flight carry an owner and a lease on the database's clock: a resume takes only those whose
// lease expired, on a running app (not only at start), and never another replica's live attempt.
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { databaseNowMs } from '../../src/moduleKit.js';
import type { PaybusApp } from '../../src/createApp.js';
import { perEngine } from '../../src/storage/Storage.js';
import { waitUntil } from '../broker/support/broker.js';
import { startAppIn, startTestApp, tempDir, testConfig, type TestApp } from '../support/testApp.js';
import { dropSchema, onlyOnPostgres, schemaFor } from '../support/testStorage.js';

const MODULES = 'users,billing,payments';

async function createBill(t: TestApp): Promise<{ id: string; userId: string }> {
  const user = await t.http.post('/users').send({ email: `${randomUUID()}@example.com`, name: 'Ada' }).expect(201);
  return (await t.http.post('/bills').send({ userId: user.body.id, amount: 4200, currency: 'EUR', dueDate: '2030-01-31' }).expect(201)).body;
}

/** An attempt another process reserved and holds for `leaseMs` more (negative: its lease ran out that long ago). */
async function leftInFlight(app: PaybusApp, bill: { id: string; userId: string }, owner: string, leaseMs: number): Promise<string> {
  const paymentId = randomUUID();
  await app.storage.run(
    perEngine(
      (e) => `INSERT INTO payments_attempts (id, bill_id, user_id, amount, currency, source, state, correlation_id, reserved_at, owner, lease_expires_at)
        VALUES (?, ?, ?, 4200, 'EUR', 'tok_visa', 'processing', 'corr-left', ?, ?, ${databaseNowMs(e)} + ?)`,
    ),
    [paymentId, bill.id, bill.userId, new Date().toISOString(), owner, leaseMs],
  );
  return paymentId;
}

const attempt = (app: PaybusApp, id: string) => app.storage.one<{ state: string; owner: string }>('SELECT state, owner FROM payments_attempts WHERE id = ?', [id]);
const charges = (app: PaybusApp, billId: string) => app.storage.value<number>('SELECT COUNT(*) FROM payments_simulator_charges WHERE bill_id = ?', [billId]);

/** Runs payments' resume job once, now, as the app's background jobs would. */
function resumeNow(app: PaybusApp): Promise<void> {
  const job = app.host.modules.find((m) => m.name === 'payments')!.jobs!.find((j) => j.name === 'resume-in-flight')!;
  return job.run(new AbortController().signal);
}

describe('payment attempts in flight: owner and lease', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp({ MODULES });
  });
  afterEach(() => t.stop());

  it('when another process holds an attempt’s live lease, then a resume leaves it, and the bill stays reserved', async () => {
    const bill = await createBill(t);
    const paymentId = await leftInFlight(t.app, bill, 'live-replica', 60_000);
    await resumeNow(t.app);
    expect(await attempt(t.app, paymentId)).to.deep.equal({ state: 'processing', owner: 'live-replica' });
    expect(await charges(t.app, bill.id)).to.equal(0);
    await t.http.post('/payments').send({ billId: bill.id, amount: 4200, currency: 'EUR', source: 'tok_visa' }).expect(409);
  });

  it('when the owner stops renewing, then the running app’s periodic job claims the attempt once the lease expired and finishes it', async () => {
    const bill = await createBill(t);
    // Left after the app started: only the periodic run, not the run at start, can find it.
    const paymentId = await leftInFlight(t.app, bill, 'killed-replica', 300);
    await waitUntil(async () => (await t.app.storage.value('SELECT 1 FROM payments_payments WHERE id = ?', [paymentId])) !== undefined);
    expect(await attempt(t.app, paymentId)).to.deep.equal({ state: 'succeeded', owner: t.app.instance.id });
    expect(await charges(t.app, bill.id)).to.equal(1);
    await t.settle();
    expect((await t.http.get(`/bills/${bill.id}`).expect(200)).body).to.deep.include({ status: 'paid', paymentId });
    const [event] = await t.app.store.readAll({ types: ['payment.success'], limit: 10 });
    expect(event!.metadata.correlationId).to.equal('corr-left');
  });

  it('when a payment is made, then its attempt is owned by this process with a lease on the database clock', async () => {
    const bill = await createBill(t);
    const paid = await t.http.post('/payments').send({ billId: bill.id, amount: 4200, currency: 'EUR', source: 'tok_visa' }).expect(201);
    const row = await t.app.storage.one<{ owner: string; lease: number; now: number }>(
      perEngine((e) => `SELECT owner, lease_expires_at AS lease, ${databaseNowMs(e)} AS now FROM payments_attempts WHERE id = ?`),
      [paid.body.id],
    );
    expect(row!.owner).to.equal(t.app.instance.id);
    expect(Number(row!.lease)).to.be.above(Number(row!.now) - t.app.config.leaseTtlMs * 2).and.at.most(Number(row!.now) + t.app.config.leaseTtlMs);
  });
});

describe('payment attempts in flight on two replicas of one PostgreSQL database', function () {
  onlyOnPostgres();

  it('never resumes the other replica’s live payment, even when its charge outlives a lease: the owner renews it', async () => {
    const dir = tempDir();
    // A holds the resume job; B's gateway takes three leases to answer.
    const a = await startAppIn(dir, testConfig({ MODULES }, dir));
    const b = await startAppIn(dir, testConfig({ MODULES, PAYMENT_GATEWAY_LATENCY_MS: '4500' }, dir));
    try {
      const bill = await createBill(b);
      let answered = false;
      const paying = b.http
        .post('/payments')
        .send({ billId: bill.id, amount: 4200, currency: 'EUR', source: 'tok_visa' })
        .then((res) => ((answered = true), res));
      const inFlight = () => b.app.storage.value<string>(`SELECT id FROM payments_attempts WHERE bill_id = ? AND state = 'processing'`, [bill.id]);
      await waitUntil(async () => (await inFlight()) !== undefined);
      const paymentId = (await inFlight())!;
      // A looks for abandoned attempts over and over while B's charge runs, past the first lease's end.
      let runs = 0;
      while (!answered) {
        await resumeNow(a.app);
        runs++;
        const row = await attempt(a.app, paymentId);
        if (row!.state === 'processing') expect(row!.owner, `after ${runs} resumes on A`).to.equal(b.app.instance.id);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const res = await paying;
      expect(res.status).to.equal(201);
      expect(res.body).to.deep.include({ id: paymentId, status: 'succeeded' });
      expect(await attempt(a.app, paymentId)).to.deep.equal({ state: 'succeeded', owner: b.app.instance.id });
      expect(await charges(a.app, bill.id)).to.equal(1);
      expect(await a.app.store.readAll({ types: ['payment.success', 'payment.failed'], limit: 10 })).to.have.length(1);
    } finally {
      await a.app.stop();
      await b.app.stop();
      fs.rmSync(dir, { recursive: true, force: true });
      await dropSchema(schemaFor(dir));
    }
  });
});
