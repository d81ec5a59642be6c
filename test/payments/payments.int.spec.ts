import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../support/testApp.js';

const MODULES = 'users,billing,payments';

describe('payments over HTTP', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp({ MODULES });
  });
  afterEach(() => t.stop());

  async function createBill(amount = 4200, currency = 'EUR') {
    const user = await t.http.post('/users').send({ email: `${randomUUID()}@example.com`, name: 'Ada' }).expect(201);
    return (await t.http.post('/bills').send({ userId: user.body.id, amount, currency, dueDate: '2030-01-31' }).expect(201)).body;
  }
  const pay = (bill: { id: string; amount: number; currency: string }, source = 'tok_visa', extra: Record<string, unknown> = {}) =>
    t.http.post('/payments').send({ billId: bill.id, amount: bill.amount, currency: bill.currency, source, ...extra });
  const charges = (billId: string) => t.app.storage.value<number>('SELECT COUNT(*) FROM payments_simulator_charges WHERE bill_id = ?', [billId]);
  const events = (type: string) => t.app.store.readAll({ types: [type], limit: 1000 });
  const billStatus = async (id: string) => (await t.http.get(`/bills/${id}`).expect(200)).body;

  it('when a bill is paid with tok_visa, then 201 succeeded, one charge, payment.success, and billing marks the bill paid', async () => {
    const bill = await createBill();
    const res = await pay(bill).expect(201);
    expect(res.body).to.deep.include({ billId: bill.id, userId: bill.userId, amount: 4200, currency: 'EUR', status: 'succeeded', failureReason: null });
    expect(Object.keys(res.body).sort()).to.deep.equal(['amount', 'billId', 'createdAt', 'currency', 'failureReason', 'id', 'status', 'userId']);
    expect(res.headers.location).to.equal(`/payments/${res.body.id}`);
    expect((await t.http.get(`/payments/${res.body.id}`).expect(200)).body).to.deep.equal(res.body);
    expect(await charges(bill.id)).to.equal(1);
    const [success] = await events('payment.success');
    expect(success).to.deep.include({ aggregateId: res.body.id, version: 1 });
    expect(success!.metadata.correlationId).to.equal(res.headers['x-correlation-id']);
    await t.settle();
    expect(await billStatus(bill.id)).to.deep.include({ status: 'paid', paymentId: res.body.id });
    expect((await events('bill.paid'))[0]!.metadata).to.deep.include({ causationId: success!.id, correlationId: res.headers['x-correlation-id'] });
  });

  it('when tok_mastercard pays, then it succeeds too', async () => {
    expect((await pay(await createBill(), 'tok_mastercard').expect(201)).body.status).to.equal('succeeded');
  });

  for (const [source, reason] of [
    ['tok_chargeDeclined', 'card_declined'],
    ['tok_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
  ] as const) {
    it(`when ${source} is declined, then 201 failed with ${reason}, payment.failed, the bill is payment_failed and a good card pays it`, async () => {
      const bill = await createBill();
      const res = await pay(bill, source).expect(201);
      expect(res.body).to.deep.include({ status: 'failed', failureReason: reason });
      expect((await events('payment.failed')).map((e) => e.payload)).to.deep.equal([{ paymentId: res.body.id, billId: bill.id, userId: bill.userId, amount: 4200, currency: 'EUR', reason }]);
      await t.settle();
      expect((await billStatus(bill.id)).status).to.equal('payment_failed');
      const good = await pay(bill).expect(201);
      await t.settle();
      expect(await billStatus(bill.id)).to.deep.include({ status: 'paid', paymentId: good.body.id });
      expect(await charges(bill.id)).to.equal(2);
    });
  }

  it('when the source is not a known token, then 400 names source, nothing is charged, and the bill stays payable', async () => {
    const bill = await createBill();
    const res = await pay(bill, 'tok_unknown').expect(400);
    expect(res.type).to.equal('application/problem+json');
    expect(res.body.errors[0].field).to.equal('source');
    expect(await charges(bill.id)).to.equal(0);
    expect((await events('payment.success')).length + (await events('payment.failed')).length).to.equal(0);
    await pay(bill).expect(201);
  });

  for (const [field, value] of [
    ['billId', 'nope'],
    ['amount', 0],
    ['amount', 1.5],
    ['currency', 'eur'],
    ['source', ''],
    ['source', 42],
    ['tip', 100],
  ] as const) {
    it(`when ${field} is ${JSON.stringify(value)}, then 400 names ${field}`, async () => {
      const res = await pay(await createBill(), 'tok_visa', { [field]: value }).expect(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).to.include(field);
    });
  }

  it('when the body is empty, then 400 says which fields are required', async () => {
    const res = await t.http.post('/payments').send({}).expect(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).to.have.members(['billId', 'amount', 'currency', 'source']);
  });

  it('when the bill is unknown, then 422 names billId', async () => {
    const res = await pay({ id: randomUUID(), amount: 4200, currency: 'EUR' }).expect(422);
    expect(res.body.errors[0].field).to.equal('billId');
  });

  it("when the amount is not the bill's, then 422 names amount and nothing is charged", async () => {
    const bill = await createBill();
    const res = await pay({ ...bill, amount: 4100 }).expect(422);
    expect(res.body.errors[0].field).to.equal('amount');
    expect(await charges(bill.id)).to.equal(0);
  });

  it("when the currency is not the bill's, then 422 names currency", async () => {
    const bill = await createBill();
    expect((await pay({ ...bill, currency: 'USD' }).expect(422)).body.errors[0].field).to.equal('currency');
  });

  it('when the bill was just paid (before billing reacted) or is paid, then 409 and no second charge', async () => {
    const bill = await createBill();
    await pay(bill).expect(201);
    expect((await pay(bill).expect(409)).body.detail).to.match(/already paid/);
    await t.settle();
    await pay(bill, 'tok_mastercard').expect(409);
    expect(await charges(bill.id)).to.equal(1);
    expect(await events('payment.success')).to.have.length(1);
  });

  it('when a payment does not exist or its id is malformed, then GET is 404', async () => {
    await t.http.get(`/payments/${randomUUID()}`).expect(404);
    await t.http.get('/payments/123').expect(404);
  });
});
