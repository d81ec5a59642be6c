// A token bound to one user (the paybus_user_id claim, or an API key made with --user) sees and changes only that
// user's things: another user's are 404 as if they did not exist, creating for another user is 403, lists hold
// only its own, and what reaches every user (/events, analytics, creating users) is 403.
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { ALL_SCOPES, bearer, expectForbidden, startWithProvider, TestIdentityProvider } from '../support/auth.js';
import type { TestApp } from '../support/testApp.js';

interface Owned {
  userId: string;
  billId: string;
  paymentId: string;
  documentId: string;
}

describe('auth: user-bound tokens', () => {
  let idp: TestIdentityProvider;
  let t: TestApp;
  let office: Record<string, string>;
  let ada: Owned;
  let bob: Owned;
  let asAda: Record<string, string>;

  before(async () => (idp = await TestIdentityProvider.start()));
  after(async () => idp.close());
  afterEach(async () => t.stop());

  /** A user with a bill, a failed payment of it and a document, made by the back office (a token for every user). */
  async function customer(name: string): Promise<Owned> {
    const userId = (await t.http.post('/users').set(office).send({ email: `${name}-${randomUUID()}@bound.test`, name }).expect(201)).body.id;
    const billId = (await t.http.post('/bills').set(office).send({ userId, amount: 700, currency: 'EUR', dueDate: '2030-01-01' }).expect(201)).body.id;
    const pay = { billId, amount: 700, currency: 'EUR', source: 'tok_chargeDeclined' };
    const paymentId = (await t.http.post('/payments').set(office).send(pay).expect(201)).body.id;
    const doc = t.http.post('/documents').set(office).field('userId', userId).attach('file', Buffer.from('receipt'), { filename: 'r.txt', contentType: 'text/plain' });
    const documentId = (await doc.expect(201)).body.id;
    return { userId, billId, paymentId, documentId };
  }

  beforeEach(async () => {
    t = await startWithProvider(idp);
    office = bearer(await idp.token({ sub: 'back-office', scope: ALL_SCOPES }));
    ada = await customer('ada');
    bob = await customer('bob');
    await t.settle();
    asAda = bearer(await idp.token({ sub: 'ada-app', scope: ALL_SCOPES, paybus_user_id: ada.userId.toUpperCase() }));
  });

  it("when it reads its own user's things, then it gets them; another user's are 404 like an unknown id", async () => {
    for (const path of [`/users/${ada.userId}`, `/bills/${ada.billId}`, `/payments/${ada.paymentId}`, `/documents/${ada.documentId}`, `/documents/${ada.documentId}/content`]) {
      await t.http.get(path).set(asAda).expect(200);
    }
    const paths = (o: Owned) => [`/users/${o.userId}`, `/bills/${o.billId}`, `/payments/${o.paymentId}`, `/documents/${o.documentId}`, `/documents/${o.documentId}/content`, `/users/${o.userId}/bills`];
    const unknown = { userId: randomUUID(), billId: randomUUID(), paymentId: randomUUID(), documentId: randomUUID() };
    const [others, missing] = [paths(bob), paths(unknown)];
    for (let i = 0; i < others.length; i++) {
      const [other, none] = [await t.http.get(others[i]!).set(asAda), await t.http.get(missing[i]!).set(asAda)];
      expect(other.status, others[i]).to.equal(404);
      expect(other.body.title).to.equal(none.body.title);
      expect(other.body.detail.replace(/[0-9a-f-]{36}/g, 'ID')).to.equal(none.body.detail.replace(/[0-9a-f-]{36}/g, 'ID'));
      await t.http.get(others[i]!).set(office).expect(200);
    }
  });

  it('when it lists, then only its own user: bills by user, and notifications with or without userId', async () => {
    const bills = (await t.http.get(`/users/${ada.userId}/bills`).set(asAda).expect(200)).body.items;
    expect(bills.map((b: { id: string }) => b.id)).to.deep.equal([ada.billId]);
    const own = (await t.http.get('/notifications').set(asAda).expect(200)).body.items;
    expect(own.length).to.be.greaterThan(0);
    expect(own.every((n: { userId: string }) => n.userId === ada.userId)).to.equal(true);
    expect((await t.http.get(`/notifications?userId=${ada.userId}`).set(asAda).expect(200)).body.items).to.deep.equal(own);
    expect((await t.http.get(`/notifications?userId=${bob.userId}`).set(asAda).expect(200)).body.items).to.deep.equal([]);
    expect((await t.http.get(`/notifications?userId=${bob.userId}`).set(office).expect(200)).body.items.length).to.be.greaterThan(0);
    await t.http.get('/notifications').set(office).expect(400);
  });

  it('when it changes its own user, bills and pays for them, then that works; for another user 403 or 404, and nothing happens', async () => {
    await t.http.patch(`/users/${ada.userId}`).set(asAda).send({ name: 'Ada L.' }).expect(200);
    const head = await t.app.store.headPosition();
    await t.http.patch(`/users/${bob.userId}`).set(asAda).send({ name: 'Bobby' }).expect(404);
    expectForbidden(await t.http.post('/bills').set(asAda).send({ userId: bob.userId, amount: 5, currency: 'EUR', dueDate: '2030-01-01' }));
    expectForbidden(await t.http.post('/bills').set(asAda).send({ userId: randomUUID(), amount: 5, currency: 'EUR', dueDate: '2030-01-01' }));
    await t.http.post('/payments').set(asAda).send({ billId: bob.billId, amount: 700, currency: 'EUR', source: 'tok_visa' }).expect(404);
    const upload = t.http.post('/documents').set(asAda).field('userId', bob.userId).attach('file', Buffer.from('x'), { filename: 'x.txt', contentType: 'text/plain' });
    expectForbidden(await upload);
    // Its own user's document on another user's bill: answered as for a bill that does not exist, not "another user's".
    const onBill = (billId: string) =>
      t.http.post('/documents').set(asAda).field('userId', ada.userId).field('billId', billId).attach('file', Buffer.from('x'), { filename: 'x.txt', contentType: 'text/plain' });
    const [others, unknown] = [await onBill(bob.billId), await onBill(randomUUID())];
    expect(others.status).to.equal(422);
    expect(others.body.errors).to.deep.equal(unknown.body.errors);
    expect(others.body.detail.replace(/[0-9a-f-]{36}/g, 'ID')).to.equal(unknown.body.detail.replace(/[0-9a-f-]{36}/g, 'ID'));
    expect(await t.app.store.headPosition(), 'nothing was recorded for the refused requests').to.equal(head);
    expect((await t.http.get(`/bills/${bob.billId}`).set(office).expect(200)).body.status).to.equal('payment_failed');

    const bill = (await t.http.post('/bills').set(asAda).send({ userId: ada.userId, amount: 5, currency: 'EUR', dueDate: '2030-01-01' }).expect(201)).body;
    const paid = await t.http.post('/payments').set(asAda).send({ billId: bill.id, amount: 5, currency: 'EUR', source: 'tok_visa' }).expect(201);
    expect(paid.body).to.include({ status: 'succeeded', userId: ada.userId });
  });

  it('when it asks for what reaches every user, then 403: creating users, the event log, analytics', async () => {
    expectForbidden(await t.http.post('/users').set(asAda).send({ email: `new-${randomUUID()}@bound.test`, name: 'New' }));
    expectForbidden(await t.http.get('/events').set(asAda));
    expectForbidden(await t.http.get(`/events?aggregateId=${ada.userId}`).set(asAda));
    expectForbidden(await t.http.get('/analytics/summary').set(asAda));
    await t.http.get('/events').set(office).expect(200);
  });

  it('when an API key is made for one user, then it is bound the same way', async () => {
    const key = await t.app.auth.apiKeys.create({ scopes: ['bills:read', 'events:read'], userId: bob.userId });
    await t.http.get(`/bills/${bob.billId}`).set(bearer(key.key)).expect(200);
    await t.http.get(`/bills/${ada.billId}`).set(bearer(key.key)).expect(404);
    expectForbidden(await t.http.get('/events').set(bearer(key.key)));
  });
});
