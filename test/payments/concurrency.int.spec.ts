import { expect } from 'chai';
import type { AddressInfo, Server } from 'node:net';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../support/testApp.js';

// Real concurrency: a listening server, 20 separate HTTP requests in flight at once, and a gateway latency long
// enough that the first charge is still in flight when the others arrive.
describe('paying one bill from 20 concurrent requests', () => {
  let t: TestApp;
  let base: string;
  beforeEach(async () => {
    t = await startTestApp({ MODULES: 'users,billing,payments', PAYMENT_GATEWAY_LATENCY_MS: '50' });
    const server: Server = await t.app.listen();
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(() => t.stop());

  const post = async (path: string, body: unknown) => {
    const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  async function createBill() {
    const user = await post('/users', { email: `${randomUUID()}@example.com`, name: 'Ada' });
    const bill = await post('/bills', { userId: user.body.id, amount: 4200, currency: 'EUR', dueDate: '2030-01-31' });
    expect(bill.status).to.equal(201);
    return bill.body as { id: string };
  }

  const payConcurrently = (billId: string, source: string) =>
    Promise.all(Array.from({ length: 20 }, () => post('/payments', { billId, amount: 4200, currency: 'EUR', source })));
  const chargesFor = (billId: string) => t.app.storage.value<number>('SELECT COUNT(*) FROM payments_simulator_charges WHERE bill_id = ?', [billId]);

  it('with a good card: exactly one charge, one payment.success, one bill.paid, one 201 and nineteen 409', async () => {
    const bill = await createBill();
    const results = await payConcurrently(bill.id, 'tok_visa');
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201), statuses.join(',')).to.have.length(1);
    expect(statuses.filter((s) => s === 409), statuses.join(',')).to.have.length(19);
    expect(results.filter((r) => r.status === 409).every((r) => /in progress|already paid/.test(String(r.body.detail)))).to.equal(true);
    expect(await chargesFor(bill.id)).to.equal(1);
    expect(await t.app.store.readAll({ types: ['payment.success', 'payment.failed'], limit: 100 })).to.have.length(1);
    await t.settle();
    expect(await t.app.store.readAll({ types: ['bill.paid'], limit: 100 })).to.have.length(1);
  });

  it('with a declined card: a declined bill stays payable, yet no two charges ever overlap and each charge is one 201', async () => {
    const bill = await createBill();
    const results = await payConcurrently(bill.id, 'tok_chargeDeclined');
    const created = results.filter((r) => r.status === 201);
    expect(created.length + results.filter((r) => r.status === 409).length).to.equal(20);
    expect(created.every((r) => r.body.status === 'failed')).to.equal(true);
    expect(await chargesFor(bill.id)).to.equal(created.length);
    expect(await t.app.store.readAll({ types: ['payment.failed'], limit: 100 })).to.have.length(created.length);
    // Serial, never overlapping: each reservation was made after the previous attempt had finished.
    const attempts = await t.app.storage.all<{ start: string; end: string }>('SELECT reserved_at AS start, finished_at AS "end" FROM payments_attempts WHERE bill_id = ? ORDER BY reserved_at', [bill.id]);
    for (let i = 1; i < attempts.length; i++) expect(attempts[i]!.start >= attempts[i - 1]!.end).to.equal(true);
  });

  it('after a declined attempt, the next 20 concurrent attempts still charge once', async () => {
    const bill = await createBill();
    expect((await post('/payments', { billId: bill.id, amount: 4200, currency: 'EUR', source: 'tok_chargeDeclined' })).status).to.equal(201);
    const results = await Promise.all(Array.from({ length: 20 }, () => post('/payments', { billId: bill.id, amount: 4200, currency: 'EUR', source: 'tok_visa' })));
    expect(results.filter((r) => r.status === 201)).to.have.length(1);
    expect(results.filter((r) => r.status === 409)).to.have.length(19);
    expect(await t.app.store.readAll({ types: ['payment.success'], limit: 100 })).to.have.length(1);
  });
});
