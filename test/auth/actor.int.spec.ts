// The caller on the record: metadata.actor is the token's sub (apikey:<id> for a key) on every event a request
// causes, and on the events the reactions emit for those; request logs carry it too.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import type { EventEnvelope } from '../../src/events/envelope.js';
import { createLogger } from '../../src/logger.js';
import { ALL_SCOPES, bearer, startWithProvider, TestIdentityProvider } from '../support/auth.js';
import { startAppIn, tempDir, type TestApp, testConfig } from '../support/testApp.js';

type Event = EventEnvelope & { position: number };

describe('auth: the caller on every event', () => {
  let idp: TestIdentityProvider;
  let t: TestApp;
  before(async () => (idp = await TestIdentityProvider.start()));
  after(async () => idp.close());
  afterEach(async () => t?.stop());

  async function allEvents(headers: Record<string, string>): Promise<Event[]> {
    return (await t.http.get('/events?limit=1000').set(headers).expect(200)).body.items;
  }

  it('when a token pays a bill, then its sub is the actor of the request events and of bill.paid and notification.sent after them', async () => {
    t = await startWithProvider(idp);
    const svc = bearer(await idp.token({ sub: 'svc-billing', scope: ALL_SCOPES }));
    const user = (await t.http.post('/users').set(svc).send({ email: 'actor@auth.test', name: 'A', phone: '+15550001234' }).expect(201)).body;
    const bill = (await t.http.post('/bills').set(svc).send({ userId: user.id, amount: 900, currency: 'EUR', dueDate: '2030-01-01' }).expect(201)).body;
    await t.http.post('/payments').set(svc).send({ billId: bill.id, amount: 900, currency: 'EUR', source: 'tok_visa' }).expect(201);
    await t.settle();

    const events = await allEvents(bearer(await idp.token({ sub: 'auditor', scope: 'events:read' })));
    const types = events.map((e) => e.type);
    expect(types).to.include.members(['user.created', 'bill.created', 'payment.success', 'bill.paid', 'notification.sent']);
    for (const e of events) expect(e.metadata.actor, `${e.type} ${e.id}`).to.equal('svc-billing');
    const success = events.find((e) => e.type === 'payment.success')!;
    const paid = events.find((e) => e.type === 'bill.paid')!;
    expect(paid.metadata).to.include({ causationId: success.id, actor: 'svc-billing' });
  });

  it('when an API key calls, then the actor is apikey:<id>; two callers each get their own actor', async () => {
    t = await startWithProvider(idp);
    const key = await t.app.auth.apiKeys.create({ scopes: ['users:write', 'events:read'], name: 'crm-sync' });
    const viaKey = (await t.http.post('/users').set(bearer(key.key)).send({ email: 'k@auth.test', name: 'K' }).expect(201)).body;
    const viaToken = (await t.http.post('/users').set(bearer(await idp.token({ sub: 'svc-other', scope: ALL_SCOPES }))).send({ email: 't@auth.test', name: 'T' }).expect(201)).body;
    const events = await allEvents(bearer(key.key));
    expect(events.find((e) => e.aggregateId === viaKey.id)!.metadata.actor).to.equal(`apikey:${key.id}`);
    expect(events.find((e) => e.aggregateId === viaToken.id)!.metadata.actor).to.equal('svc-other');
  });

  it("when two callers send the same Idempotency-Key and body, then neither gets the other's answer", async () => {
    t = await startWithProvider(idp);
    const office = bearer(await idp.token({ sub: 'office', scope: ALL_SCOPES }));
    const userId = (await t.http.post('/users').set(office).send({ email: 'i@auth.test', name: 'I' }).expect(201)).body.id;
    const body = { userId, amount: 100, currency: 'EUR', dueDate: '2030-01-01' };
    const send = async (sub: string) => t.http.post('/bills').set(bearer(await idp.token({ sub, scope: ALL_SCOPES }))).set('Idempotency-Key', 'same-key').send(body).expect(201);
    const [first, other, again] = [await send('caller-a'), await send('caller-b'), await send('caller-a')];
    expect(other.body.id).to.not.equal(first.body.id);
    expect(other.headers['idempotent-replayed']).to.equal(undefined);
    expect(again.headers['idempotent-replayed']).to.equal('true');
    expect(again.body.id).to.equal(first.body.id);
  });

  it('when requests are answered, then the request log names the caller; a refusal is logged at info', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) });
    const dir = tempDir();
    t = await startAppIn(dir, testConfig(idp.env(), dir), { log: createLogger('debug', sink) });
    await t.http.post('/users').set(bearer(await idp.token({ sub: 'svc-logged', scope: ALL_SCOPES }))).send({ email: 'l@auth.test', name: 'L' }).expect(201);
    await t.http.get('/events').expect(401);
    const requests = lines.filter((l) => l.component === 'http');
    expect(requests.find((l) => l.route === '/users')).to.include({ msg: 'request', method: 'POST', status: 201, actor: 'svc-logged', level: 20 });
    expect(requests.find((l) => l.status === 401)).to.include({ msg: 'request refused', actor: null, level: 30 });
    expect(JSON.stringify(lines)).to.not.match(/eyJ[A-Za-z0-9_-]+\.eyJ/);
  });
});

describe('auth: the caller of a payment a crash interrupted', () => {
  it('when the attempt is resumed after a restart, then its payment event still names the caller who asked', async () => {
    const dir = tempDir();
    const config = testConfig({ MODULES: 'users,billing,payments' }, dir);
    // The first start runs open; the key it makes turns auth on from the next start.
    let t = await startAppIn(dir, config);
    const key = await t.app.auth.apiKeys.create({ scopes: ['users:write', 'bills:write'] });
    await t.app.stop();
    t = await startAppIn(dir, config);
    try {
      expect(t.app.auth.enabled).to.equal(true);
      const caller = bearer(key.key);
      const user = (await t.http.post('/users').set(caller).send({ email: `${randomUUID()}@auth.test`, name: 'R' }).expect(201)).body;
      const bill = (await t.http.post('/bills').set(caller).send({ userId: user.id, amount: 4200, currency: 'EUR', dueDate: '2030-01-31' }).expect(201)).body;
      // What a SIGKILL between reserving and recording leaves behind (test/payments/resume.int.spec.ts does the same).
      const paymentId = randomUUID();
      await t.app.storage.run(
        `INSERT INTO payments_attempts (id, bill_id, user_id, amount, currency, source, state, correlation_id, actor, reserved_at) VALUES (?, ?, ?, 4200, 'EUR', 'tok_visa', 'processing', 'corr-crash', ?, ?)`,
        [paymentId, bill.id, user.id, `apikey:${key.id}`, new Date().toISOString()],
      );
      await t.app.stop();
      t = await startAppIn(dir, config);
      // The resume job runs once delivery has started; wait for its commit (the test's timeout bounds the wait).
      let events = await t.app.store.getEvents(paymentId);
      while (events.length === 0) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        events = await t.app.store.getEvents(paymentId);
      }
      expect(events[0]!.metadata).to.include({ correlationId: 'corr-crash', actor: `apikey:${key.id}` });
    } finally {
      await t.stop();
    }
  });
});
