import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { startTestApp, type TestApp } from '../support/testApp.js';

describe('users over HTTP', () => {
  let t: TestApp;
  beforeEach(async () => (t = await startTestApp({ MODULES: 'users' })));
  afterEach(async () => t.stop());

  const problem = (res: { status: number; type: string; body: { status: number; title: string; detail: string } }, status: number) => {
    expect(res.status).to.equal(status);
    expect(res.type).to.equal('application/problem+json');
    expect(res.body.status).to.equal(status);
    expect(res.body.title).to.be.a('string');
    expect(res.body.detail).to.be.a('string');
  };

  it('when a user is created, then it can be read back and user.created is in the log', async () => {
    const res = await t.http.post('/users').send({ email: ' Ada@Example.COM ', name: 'Ada', phone: '+15551234567' }).expect(201);
    expect(res.body).to.include({ email: 'ada@example.com', name: 'Ada', phone: '+15551234567' });
    expect(res.body.createdAt).to.equal(res.body.updatedAt);
    expect(res.headers.location).to.equal(`/users/${res.body.id}`);
    const got = await t.http.get(`/users/${res.body.id}`).expect(200);
    expect(got.body).to.deep.equal(res.body);
    const events = await t.http.get('/events').query({ aggregateId: res.body.id }).expect(200);
    expect(events.body.items).to.have.length(1);
    expect(events.body.items[0]).to.include({ type: 'user.created', aggregateType: 'user', aggregateId: res.body.id, version: 1, position: 1 });
    expect(events.body.items[0].payload).to.deep.equal({ userId: res.body.id, email: 'ada@example.com', name: 'Ada', phone: '+15551234567' });
    expect(events.body.items[0].metadata.correlationId).to.equal(res.headers['x-correlation-id']);
    expect(events.body.nextAfter).to.equal(1);
  });

  it('when phone is left out, then it is null', async () => {
    const res = await t.http.post('/users').send({ email: 'b@x.test', name: 'B' }).expect(201);
    expect(res.body.phone).to.equal(null);
  });

  it('when the email is taken (in any case), then 409 and nothing is appended', async () => {
    await t.http.post('/users').send({ email: 'a@x.test', name: 'A' }).expect(201);
    problem(await t.http.post('/users').send({ email: 'A@X.test', name: 'A2' }), 409);
    expect(await t.app.store.readAll()).to.have.length(1);
  });

  it('when the body is invalid, then 400 names each field', async () => {
    const res = await t.http.post('/users').send({ email: 'nope', name: '', phone: '12', extra: true });
    problem(res, 400);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).to.deep.equal(['email', 'extra', 'name', 'phone']);
    problem(await t.http.post('/users').send({ name: 'No email' }), 400);
    problem(await t.http.post('/users').send([1, 2]), 400);
    problem(await t.http.post('/users').set('content-type', 'application/json').send('{"email":'), 400);
    expect(await t.app.store.readAll()).to.have.length(0);
  });

  it('when a user is patched, then only changed fields are in user.updated, and no change appends nothing', async () => {
    const { body: user } = await t.http.post('/users').send({ email: 'c@x.test', name: 'C' }).expect(201);
    const res = await t.http.patch(`/users/${user.id}`).send({ name: 'C2', email: 'c@x.test', phone: '+442071234567' }).expect(200);
    expect(res.body).to.include({ name: 'C2', email: 'c@x.test', phone: '+442071234567' });
    await t.http.patch(`/users/${user.id}`).send({ name: 'C2' }).expect(200);
    await t.http.patch(`/users/${user.id}`).send({ phone: null }).expect(200);
    const log = await t.app.store.getEvents(user.id);
    expect(log.map((e) => [e.type, e.version, e.payload.changes])).to.deep.equal([
      ['user.created', 1, undefined],
      ['user.updated', 2, { name: 'C2', phone: '+442071234567' }],
      ['user.updated', 3, { phone: null }],
    ]);
  });

  it('when a patch takes another user\'s email, then 409; an empty or bad patch is 400; an unknown user is 404', async () => {
    const { body: a } = await t.http.post('/users').send({ email: 'a@x.test', name: 'A' }).expect(201);
    await t.http.post('/users').send({ email: 'b@x.test', name: 'B' }).expect(201);
    problem(await t.http.patch(`/users/${a.id}`).send({ email: 'b@x.test' }), 409);
    problem(await t.http.patch(`/users/${a.id}`).send({}), 400);
    problem(await t.http.patch(`/users/${a.id}`).send({ name: 42 }), 400);
    problem(await t.http.patch(`/users/${randomUUID()}`).send({ name: 'Z' }), 404);
    expect(await t.app.store.getEvents(a.id)).to.have.length(1);
  });

  it('when an id is unknown or malformed, then 404 problem+json', async () => {
    problem(await t.http.get(`/users/${randomUUID()}`), 404);
    problem(await t.http.get('/users/not-a-uuid'), 404);
    problem(await t.http.get('/users/..%2F..%2Fetc%2Fpasswd'), 404);
    problem(await t.http.get('/no/such/route'), 404);
  });

  it('serves the log by position with type, after and limit, and refuses bad queries with 400', async () => {
    const { body: a } = await t.http.post('/users').send({ email: 'a@x.test', name: 'A' }).expect(201);
    await t.http.post('/users').send({ email: 'b@x.test', name: 'B' }).expect(201);
    await t.http.patch(`/users/${a.id}`).send({ name: 'A2' }).expect(200);
    const page = await t.http.get('/events').query({ limit: 2 }).expect(200);
    expect(page.body.items.map((e: { position: number }) => e.position)).to.deep.equal([1, 2]);
    const next = await t.http.get('/events').query({ after: page.body.nextAfter }).expect(200);
    expect(next.body.items.map((e: { type: string }) => e.type)).to.deep.equal(['user.updated']);
    const typed = await t.http.get('/events').query({ type: 'user.updated' }).expect(200);
    expect(typed.body.items).to.have.length(1);
    problem(await t.http.get('/events').query({ limit: 'abc' }), 400);
    problem(await t.http.get('/events').query({ limit: 0 }), 400);
    problem(await t.http.get('/events').query({ after: -1 }), 400);
    problem(await t.http.get('/events').query({ type: 'no.such' }), 400);
    problem(await t.http.get('/events').query({ bogus: 1 }), 400);
  });

  it('answers /health and /ready', async () => {
    expect((await t.http.get('/health').expect(200)).body).to.deep.equal({ status: 'ok' });
    await t.http.get('/ready').expect(200);
  });

  it('keeps a caller\'s X-Correlation-Id on the events the request causes', async () => {
    const res = await t.http.post('/users').set('X-Correlation-Id', 'trace-123').send({ email: 'k@x.test', name: 'K' }).expect(201);
    expect(res.headers['x-correlation-id']).to.equal('trace-123');
    expect((await t.app.store.getEvents(res.body.id))[0]!.metadata).to.deep.equal({ correlationId: 'trace-123', causationId: null, actor: null });
  });
});
