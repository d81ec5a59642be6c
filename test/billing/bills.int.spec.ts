import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { createPaymentFailedEvent, createPaymentSuccessEvent } from '../../src/events/catalog.js';
import { startTestApp, type TestApp } from '../support/testApp.js';

const MODULES = 'users,billing,payments';

describe('billing over HTTP', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp({ MODULES });
  });
  afterEach(() => t.stop());

  const createUser = async () => (await t.http.post('/users').send({ email: `${randomUUID()}@example.com`, name: 'Ada' }).expect(201)).body.id as string;
  const billBody = (userId: string, extra: Record<string, unknown> = {}) => ({ userId, amount: 4200, currency: 'EUR', dueDate: '2030-01-31', description: 'water', ...extra });
  const createBill = async (userId: string) => (await t.http.post('/bills').send(billBody(userId)).expect(201)).body;
  const eventsOf = (type: string, aggregateId?: string) => t.app.store.readAll({ types: [type], aggregateId, limit: 1000 });

  it('when a user was just created, then a bill for them is created at once and bill.created is logged', async () => {
    const userId = await createUser();
    const res = await t.http.post('/bills').send(billBody(userId)).expect(201);
    expect(res.body).to.deep.include({ userId, amount: 4200, currency: 'EUR', dueDate: '2030-01-31', description: 'water', status: 'pending', paymentId: null, paidAt: null });
    expect(res.headers.location).to.equal(`/bills/${res.body.id}`);
    expect(Object.keys(res.body).sort()).to.deep.equal(['amount', 'createdAt', 'currency', 'description', 'dueDate', 'id', 'paidAt', 'paymentId', 'status', 'userId']);
    const [event] = await eventsOf('bill.created', res.body.id);
    expect(event).to.deep.include({ aggregateType: 'bill', version: 1 });
    expect(event!.metadata.correlationId).to.equal(res.headers['x-correlation-id']);
    expect((await t.http.get(`/bills/${res.body.id}`).expect(200)).body).to.deep.equal(res.body);
  });

  it('when description is left out, then it is null', async () => {
    const { body } = await t.http.post('/bills').send(billBody(await createUser(), { description: undefined })).expect(201);
    expect(body.description).to.equal(null);
  });

  for (const [field, value, why] of [
    ['amount', 0, 'zero'],
    ['amount', -5, 'negative'],
    ['amount', 12.5, 'not whole'],
    ['amount', '4200', 'a string'],
    ['currency', 'eur', 'lower case'],
    ['currency', 'EURO', 'four letters'],
    ['dueDate', '2031-02-29', 'not a real date'],
    ['dueDate', '31/01/2030', 'not YYYY-MM-DD'],
    ['userId', 'not-a-uuid', 'not a UUID'],
    ['description', 42, 'not a string'],
    ['extra', 'x', 'an unknown field'],
  ] as const) {
    it(`when ${field} is ${why}, then 400 names ${field} and nothing is logged`, async () => {
      const res = await t.http.post('/bills').send(billBody(await createUser(), { [field]: value })).expect(400);
      expect(res.type).to.equal('application/problem+json');
      expect(res.body.errors.map((e: { field: string }) => e.field)).to.include(field);
      expect(await eventsOf('bill.created')).to.have.length(0);
    });
  }

  it('when required fields are missing, then 400 says each is required', async () => {
    const res = await t.http.post('/bills').send({}).expect(400);
    expect(res.body.errors).to.deep.include.members([
      { field: 'userId', message: 'is required' },
      { field: 'amount', message: 'is required' },
      { field: 'currency', message: 'is required' },
      { field: 'dueDate', message: 'is required' },
    ]);
  });

  it('when the body is not JSON, then 400', async () => {
    await t.http.post('/bills').set('Content-Type', 'application/json').send('{"userId":').expect(400);
  });

  it('when the user is unknown, then 422 names userId and nothing is logged', async () => {
    const res = await t.http.post('/bills').send(billBody(randomUUID())).expect(422);
    expect(res.body.errors).to.deep.equal([{ field: 'userId', message: 'no such user' }]);
    expect(await eventsOf('bill.created')).to.have.length(0);
  });

  it('when a bill does not exist or its id is malformed, then GET is 404', async () => {
    await t.http.get(`/bills/${randomUUID()}`).expect(404);
    const res = await t.http.get('/bills/nope').expect(404);
    expect(res.type).to.equal('application/problem+json');
  });

  it("when listing a user's bills, then they come in creation order; unknown users are 404", async () => {
    const userId = await createUser();
    expect((await t.http.get(`/users/${userId}/bills`).expect(200)).body).to.deep.equal({ items: [] });
    const first = await createBill(userId);
    const second = await createBill(userId);
    await createBill(await createUser());
    const { body } = await t.http.get(`/users/${userId}/bills`).expect(200);
    expect(body.items.map((b: { id: string }) => b.id)).to.deep.equal([first.id, second.id]);
    await t.http.get(`/users/${randomUUID()}/bills`).expect(404);
    await t.http.get('/users/nope/bills').expect(404);
  });

  describe('reacting to payments', () => {
    // Payment events as the payments module would emit them, so billing's rules are tested on their own.
    const append = (event: ReturnType<typeof createPaymentSuccessEvent> | ReturnType<typeof createPaymentFailedEvent>) =>
      t.app.host.commit((uow) => uow.append([event], { expectedVersion: 0 }));

    it('when payment.success arrives, then the bill is paid and bill.paid is emitted once with version 2', async () => {
      const bill = await createBill(await createUser());
      const payment = createPaymentSuccessEvent(randomUUID(), bill.id, bill.userId, 4200, 'EUR', { correlationId: 'corr-pay' });
      await append(payment);
      await t.settle();
      const { body } = await t.http.get(`/bills/${bill.id}`).expect(200);
      expect(body).to.deep.include({ status: 'paid', paymentId: payment.payload.paymentId, paidAt: payment.occurredAt });
      const paid = await eventsOf('bill.paid', bill.id);
      expect(paid).to.have.length(1);
      expect(paid[0]).to.deep.include({ version: 2 });
      expect(paid[0]!.metadata).to.deep.include({ causationId: payment.id, correlationId: 'corr-pay' });
    });

    it('when payment.failed arrives, then the bill is payment_failed and can still be paid', async () => {
      const bill = await createBill(await createUser());
      await append(createPaymentFailedEvent(randomUUID(), bill.id, bill.userId, 4200, 'EUR', 'card_declined'));
      expect((await t.http.get(`/bills/${bill.id}`).expect(200)).body.status).to.equal('payment_failed');
      await append(createPaymentSuccessEvent(randomUUID(), bill.id, bill.userId, 4200, 'EUR'));
      await t.settle();
      expect((await t.http.get(`/bills/${bill.id}`).expect(200)).body.status).to.equal('paid');
    });

    it('when a second payment.success or a late payment.failed arrives after paid, then nothing changes and no second bill.paid is emitted', async () => {
      const bill = await createBill(await createUser());
      const first = createPaymentSuccessEvent(randomUUID(), bill.id, bill.userId, 4200, 'EUR');
      await append(first);
      await t.settle();
      const paidBill = (await t.http.get(`/bills/${bill.id}`).expect(200)).body;
      await append(createPaymentSuccessEvent(randomUUID(), bill.id, bill.userId, 4200, 'EUR'));
      await append(createPaymentFailedEvent(randomUUID(), bill.id, bill.userId, 4200, 'EUR', 'card_declined'));
      await t.settle();
      expect((await t.http.get(`/bills/${bill.id}`).expect(200)).body).to.deep.equal(paidBill);
      expect(paidBill.paymentId).to.equal(first.payload.paymentId);
      expect(await eventsOf('bill.paid', bill.id)).to.have.length(1);
      expect(await t.app.deadLetters.find()).to.have.length(0);
    });
  });
});
