import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createUserCreatedEvent } from '../../src/events/catalog.js';
import { startTestApp, type TestApp } from '../support/testApp.js';
import { onPostgres } from '../support/testStorage.js';
import { opsProbeModule, probeControl, type ProbeControl } from './support/opsProbe.js';

const TOKEN = 'admin-token-for-tests-9f2c';
const auth = { authorization: `Bearer ${TOKEN}` };

describe('admin API', () => {
  let t: TestApp;
  let control: ProbeControl;
  afterEach(async () => t && (await t.stop()));

  async function start(env: Record<string, string> = { ADMIN_TOKEN: TOKEN }) {
    control = probeControl();
    t = await startTestApp({ MODULES: 'users', RETRY_ATTEMPTS: '3', ...env }, { extraModules: [opsProbeModule(control)] });
  }
  async function poison(count: number): Promise<string[]> {
    for (let i = 0; i < count; i++) await t.http.post('/users').send({ email: `${randomUUID()}@admin.test`, name: `poison ${i}` }).expect(201);
    await t.settle();
    return (await t.app.deadLetters.find()).map((d) => d.id);
  }

  describe('access', () => {
    it('answers 404 on the whole /admin tree when ADMIN_TOKEN is unset', async () => {
      await start({});
      for (const path of ['/admin/dead-letters', '/admin/outbox', '/admin/subscribers']) {
        const res = await t.http.get(path).set(auth).expect(404);
        expect(res.headers['content-type']).to.match(/problem\+json/);
      }
      await t.http.post('/admin/projections/rebuild').expect(404);
    });

    it('answers 401 problem+json without a token, with a wrong one, or with another scheme, and never echoes it', async () => {
      await start();
      const attempts = [{}, { authorization: 'Bearer wrong-token-123' }, { authorization: `Basic ${TOKEN}` }, { authorization: `Bearer ${TOKEN}x` }, { authorization: `Bearer ${TOKEN.slice(0, -1)}` }];
      for (const headers of attempts) {
        const res = await t.http.get('/admin/dead-letters').set(headers).expect(401);
        expect(res.headers['content-type']).to.match(/problem\+json/);
        expect(res.headers['www-authenticate']).to.match(/^Bearer/);
        expect(res.text).not.to.include('wrong-token-123');
        expect(res.text).not.to.include(TOKEN.slice(0, -1));
      }
      await t.http.post(`/admin/dead-letters/${randomUUID()}/retry`).expect(401);
      await t.http.delete(`/admin/dead-letters/${randomUUID()}`).expect(401);
      await t.http.get('/admin/dead-letters').set(auth).expect(200);
    });
  });

  describe('dead letters', () => {
    it('lists with a subscriber filter and paging, and refuses bad paging naming the field', async () => {
      await start();
      const ids = await poison(3);
      const all = (await t.http.get('/admin/dead-letters').set(auth).expect(200)).body;
      expect(all.total).to.equal(3);
      expect(all.items.map((d: { id: string }) => d.id)).to.deep.equal(ids);
      expect(all.items[0]).to.include({ subscriber: 'opsprobe.flaky', eventType: 'user.created', error: 'downstream refused the event', attempts: 3 });
      expect(all.items[0]).to.have.all.keys('id', 'subscriber', 'eventId', 'eventType', 'error', 'attempts', 'firstFailedAt', 'lastFailedAt');
      const page = (await t.http.get('/admin/dead-letters?limit=1&offset=1').set(auth).expect(200)).body;
      expect(page.items.map((d: { id: string }) => d.id)).to.deep.equal([ids[1]]);
      const none = (await t.http.get('/admin/dead-letters?subscriber=opsprobe.chain').set(auth).expect(200)).body;
      expect(none).to.include({ total: 0 }).and.to.have.property('items').that.deep.equals([]);
      const bad = (await t.http.get('/admin/dead-letters?limit=0').set(auth).expect(400)).body;
      expect(bad.errors[0].field).to.equal('limit');
      const unknown = (await t.http.get('/admin/dead-letters?colour=red').set(auth).expect(400)).body;
      expect(unknown.errors[0].field).to.equal('colour');
    });

    it('shows one dead letter with its event and error; a malformed or unknown id is 404', async () => {
      await start();
      const [id] = await poison(1);
      const letter = (await t.http.get(`/admin/dead-letters/${id}`).set(auth).expect(200)).body;
      expect(letter).to.include({ id, error: 'downstream refused the event' });
      expect(letter.event).to.include({ type: 'user.created', id: letter.eventId });
      expect(letter.event.payload.name).to.equal('poison 0');
      await t.http.get('/admin/dead-letters/not-an-id').set(auth).expect(404);
      await t.http.get(`/admin/dead-letters/${randomUUID()}`).set(auth).expect(404);
    });

    it('retries: a failure keeps it with its attempts raised, a success removes it', async () => {
      await start();
      const [id] = await poison(1);
      const failed = (await t.http.post(`/admin/dead-letters/${id}/retry`).set(auth).expect(200)).body;
      expect(failed).to.include({ id, outcome: 'failed' });
      expect(failed.deadLetter).to.include({ attempts: 4 });
      control.poisonFails = false;
      const handled = (await t.http.post(`/admin/dead-letters/${id}/retry`).set(auth).expect(200)).body;
      expect(handled).to.deep.equal({ id, outcome: 'handled', deadLetter: null });
      await t.http.get(`/admin/dead-letters/${id}`).set(auth).expect(404);
      await t.http.post(`/admin/dead-letters/${randomUUID()}/retry`).set(auth).expect(404);
    });

    it('retries all of one subscriber and reports each outcome', async () => {
      await start();
      await poison(2);
      control.poisonFails = false;
      const result = (await t.http.post('/admin/dead-letters/retry-all?subscriber=opsprobe.flaky').set(auth).expect(200)).body;
      expect(result).to.include({ retried: 2, handled: 2, failed: 0, skipped: 0 });
      expect(await t.app.deadLetters.find()).to.deep.equal([]);
      await t.http.post('/admin/dead-letters/retry-all?subscriber=').set(auth).expect(400);
    });

    it('discards: 204, then it is gone', async () => {
      await start();
      const [id] = await poison(1);
      await t.http.delete(`/admin/dead-letters/${id}`).set(auth).expect(204);
      await t.http.get(`/admin/dead-letters/${id}`).set(auth).expect(404);
      await t.http.delete(`/admin/dead-letters/${id}`).set(auth).expect(404);
    });
  });

  it('reports the outbox: pending count, oldest pending age and the last error without its credentials', async () => {
    await start();
    expect((await t.http.get('/admin/outbox').set(auth).expect(200)).body).to.deep.equal({ pending: 0, oldestPendingAt: null, oldestPendingAgeSeconds: null, lastError: null });
    // A row no transport delivered (appended outside the host), with a failure recorded as a relay would record it.
    const rowIds = await t.app.storage.transaction(async (tx) => {
      const stored = await t.app.store.append(tx, [createUserCreatedEvent(randomUUID(), `${randomUUID()}@o.test`, 'Stuck', null)]);
      return t.app.outbox.add(tx, stored);
    });
    expect(rowIds).to.have.length(1);
    await t.app.outbox.recordFailure(rowIds, 'connect to amqp://paybus:hunter2-secret@broker.internal:5672 refused');
    const status = (await t.http.get('/admin/outbox').set(auth).expect(200)).body;
    expect(status.pending).to.equal(1);
    expect(status.oldestPendingAgeSeconds).to.be.a('number').and.to.be.at.least(0);
    expect(status.lastError).to.equal('connect to amqp://paybus:***@broker.internal:5672 refused');
  });

  it('reports each subscriber: checkpoint, head, lag and what it still has to handle', async () => {
    await start();
    await poison(1);
    const body = (await t.http.get('/admin/subscribers').set(auth).expect(200)).body;
    // user.created then two chained user.updated.
    expect(body.head).to.equal(3);
    const byName = Object.fromEntries(body.items.map((s: { subscriber: string }) => [s.subscriber, s]));
    expect(Object.keys(byName).sort()).to.deep.equal(['opsprobe.chain', 'opsprobe.flaky', 'users.users']);
    expect(byName['users.users']).to.include({ kind: 'projection', checkpoint: 3, lag: 0, pending: 0 });
    expect(byName['opsprobe.chain']).to.include({ kind: 'reaction', pending: 0, deadLetters: 0 });
    // The dead-lettered event is not "pending": it waits in the dead letters instead. The two user.updated after it
    // are not of its types: the checkpoint is past the dead letter, and moves past them where the feed reads every
    // type (SQLite, fed by the bus) or stays before them where it reads only its own (PostgreSQL, from the log).
    const flaky = byName['opsprobe.flaky'];
    expect(flaky).to.include({ pending: 0, deadLetters: 1 });
    expect(flaky).to.include(onPostgres ? { checkpoint: 1, lag: 2 } : { checkpoint: 3, lag: 0 });
    // Who holds each reaction (one process at a time among those on the database): this one, since its start.
    const leases = Object.fromEntries(body.leases.map((l: { name: string }) => [l.name, l]));
    expect(Object.keys(leases).sort()).to.deep.equal(['subscriber:opsprobe.chain', 'subscriber:opsprobe.flaky']);
    expect(leases['subscriber:opsprobe.flaky']).to.include({ holder: t.app.instance.id, host: t.app.instance.host, pid: process.pid, live: true });
    expect(Date.parse(leases['subscriber:opsprobe.flaky'].since)).to.be.a('number').and.not.NaN;
  });

  it('rebuilds the read models and keeps serving them', async () => {
    await start();
    const user = (await t.http.post('/users').send({ email: 'rebuild@admin.test', name: 'Rebuilt' }).expect(201)).body;
    await t.settle();
    const result = (await t.http.post('/admin/projections/rebuild').set(auth).expect(200)).body;
    expect(result.eventsInLog).to.equal(3);
    expect(result.readModels.map((m: { name: string }) => m.name)).to.include('users.users');
    expect((await t.http.get(`/users/${user.id}`).expect(200)).body).to.include({ email: 'rebuild@admin.test', name: 'step-2' });
  });
});
