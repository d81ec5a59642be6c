// Broker mode: a worker in another process takes the same AUTH_* settings for its routes, and the caller rides the
// envelope through RabbitMQ onto the events the worker's reactions emit.
import { expect } from 'chai';
import type { StoredEvent } from '../../src/events/envelope.js';
import { type BrokerEnv, brokerEnv, deleteBrokerObjects, requireBroker, startBrokerApp } from '../broker/support/broker.js';
import { ALL_SCOPES, bearer, expectUnauthorized, TestIdentityProvider } from '../support/auth.js';
import type { TestApp } from '../support/testApp.js';

describe('auth: in broker mode, with a worker', function () {
  this.timeout(60_000);
  requireBroker();
  let idp: TestIdentityProvider;
  let env: BrokerEnv;
  let api: TestApp;
  let worker: TestApp;

  before(async () => (idp = await TestIdentityProvider.start()));
  after(async () => idp.close());
  beforeEach(async () => {
    env = brokerEnv(idp.env());
    // The worker first: it declares its queues before the API publishes anything.
    worker = await startBrokerApp(env, ['notifications', 'analytics']);
    api = await startBrokerApp(env, ['users', 'billing', 'payments']);
  });
  afterEach(async () => {
    await api?.stop();
    await worker?.stop();
    await deleteBrokerObjects(env);
  });

  /** The worker's own log, once it holds `count` events of `type` (the mocha timeout bounds the wait). */
  async function workerEvents(type: string, count: number): Promise<StoredEvent[]> {
    for (;;) {
      const events = await worker.app.store.readAll({ after: 0, limit: 1000, types: [type] });
      if (events.length >= count) return events;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it("when a token pays, then the worker's notification.sent and the API's bill.paid name its sub; the worker's routes need a token", async () => {
    const svc = bearer(await idp.token({ sub: 'svc-broker', scope: ALL_SCOPES }));
    const user = (await api.http.post('/users').set(svc).send({ email: 'broker@auth.test', name: 'B' }).expect(201)).body;
    const bill = (await api.http.post('/bills').set(svc).send({ userId: user.id, amount: 300, currency: 'EUR', dueDate: '2030-01-01' }).expect(201)).body;
    await api.http.post('/payments').set(svc).send({ billId: bill.id, amount: 300, currency: 'EUR', source: 'tok_visa' }).expect(201);

    const sent = await workerEvents('notification.sent', 2);
    expect(sent.map((e) => e.metadata.actor)).to.deep.equal(['svc-broker', 'svc-broker']);
    let paid: StoredEvent[] = [];
    while (paid.length === 0) {
      paid = await api.app.store.readAll({ after: 0, limit: 10, types: ['bill.paid'] });
      if (paid.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(paid[0]!.metadata.actor).to.equal('svc-broker');

    expectUnauthorized(await worker.http.get(`/notifications?userId=${user.id}`), false);
    const items = (await worker.http.get(`/notifications?userId=${user.id}`).set(svc).expect(200)).body.items;
    expect(items).to.have.length(2);
  });
});
