import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import express from 'express';
import multer from 'multer';
import { pino } from 'pino';
import supertest from 'supertest';
import fs from 'node:fs';
import { idempotency, idempotentRequest, requestHash } from '../../src/http/idempotency.js';
import { IDEMPOTENCY_TTL_MS, IdempotencyKeys, idempotencyMigrations } from '../../src/http/IdempotencyKeys.js';
import { databaseNowMs } from '../../src/storage/clock.js';
import { perEngine } from '../../src/storage/Storage.js';
import { errorMapper } from '../../src/http/problem.js';
import { createUserCreatedEvent } from '../../src/events/catalog.js';
import { runMigrations } from '../../src/storage/migrate.js';
import { openStorage } from '../../src/storage/openStorage.js';
import { startTestApp, tempDir, testConfig, type TestApp } from '../support/testApp.js';
import { dropSchema, onPostgres, schemaFor } from '../support/testStorage.js';

describe('Idempotency-Key on POST routes', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp({ MODULES: 'users,billing,payments' });
  });
  afterEach(() => t.stop());

  const createUser = async () => (await t.http.post('/users').send({ email: `${randomUUID()}@example.com`, name: 'Ada' }).expect(201)).body.id as string;
  const billBody = (userId: string) => ({ userId, amount: 4200, currency: 'EUR', dueDate: '2030-01-31', description: 'water' });
  const count = async (type: string) => (await t.app.store.readAll({ types: [type], limit: 1000 })).length;
  const charges = async () => Number(await t.app.storage.value('SELECT COUNT(*) FROM payments_simulator_charges'));
  /** A key another process wrote; `leaseMs` from now on the database clock (negative: expired), null: none (before leases). */
  const insertKey = (key: string, hash: string, state: string, owner: string, createdAt: Date, leaseMs: number | null = null) =>
    t.app.storage.run(
      perEngine(
        (e) => `INSERT INTO idempotency_keys (key, request_hash, state, owner, status, content_type, body, created_at, lease_expires_at)
          VALUES (?, ?, ?, ?, 201, ?, ?, ?, ${databaseNowMs(e)} + ?)`,
      ),
      [key, hash, state, owner, 'application/json', '{"old":true}', createdAt.toISOString(), leaseMs],
    );

  it('when the same key and body come again, then the first response is replayed and nothing changes', async () => {
    const userId = await createUser();
    const key = randomUUID();
    const first = await t.http.post('/bills').set('Idempotency-Key', key).send(billBody(userId)).expect(201);
    const again = await t.http.post('/bills').set('Idempotency-Key', key).send(billBody(userId)).expect(201);
    expect(again.body).to.deep.equal(first.body);
    expect(again.headers.location).to.equal(first.headers.location);
    expect(again.type).to.equal('application/json');
    expect(again.headers['idempotent-replayed']).to.equal('true');
    expect(await count('bill.created')).to.equal(1);
  });

  it('when the body has its fields in another order, then it is the same request', async () => {
    const userId = await createUser();
    const key = randomUUID();
    const first = await t.http.post('/bills').set('Idempotency-Key', key).send(billBody(userId)).expect(201);
    const { description, dueDate, currency, amount } = billBody(userId);
    const again = await t.http.post('/bills').set('Idempotency-Key', key).send({ description, dueDate, currency, amount, userId }).expect(201);
    expect(again.body.id).to.equal(first.body.id);
  });

  it('when the same key comes with another body or path, then 422 names the header and nothing changes', async () => {
    const userId = await createUser();
    const key = randomUUID();
    await t.http.post('/bills').set('Idempotency-Key', key).send(billBody(userId)).expect(201);
    const res = await t.http.post('/bills').set('Idempotency-Key', key).send({ ...billBody(userId), amount: 1 }).expect(422);
    expect(res.type).to.equal('application/problem+json');
    expect(res.body.errors[0].field).to.equal('Idempotency-Key');
    await t.http.post('/users').set('Idempotency-Key', key).send(billBody(userId)).expect(422);
    expect(await count('bill.created')).to.equal(1);
  });

  it('when there is no key, then each request runs', async () => {
    const userId = await createUser();
    await t.http.post('/bills').send(billBody(userId)).expect(201);
    await t.http.post('/bills').send(billBody(userId)).expect(201);
    expect(await count('bill.created')).to.equal(2);
  });

  it('when the first response was an error, then the error is replayed too', async () => {
    const key = randomUUID();
    const unknownUser = billBody(randomUUID());
    const first = await t.http.post('/bills').set('Idempotency-Key', key).send(unknownUser).expect(422);
    const again = await t.http.post('/bills').set('Idempotency-Key', key).send(unknownUser).expect(422);
    expect(again.body).to.deep.equal(first.body);
    expect(again.type).to.equal('application/problem+json');
  });

  it('when the first response was a conflict, then it is not stored: the state of the moment is asked again', async () => {
    const bill = (await t.http.post('/bills').send(billBody(await createUser())).expect(201)).body;
    const pay = { billId: bill.id, amount: 4200, currency: 'EUR', source: 'tok_visa' };
    await t.http.post('/payments').send(pay).expect(201);
    await t.settle();
    // A 409 (here "already paid"; after a crash "a payment in progress") changed nothing: replayed, it would outlive
    // the state that caused it, so each repeat runs and answers for now.
    const key = randomUUID();
    const first = await t.http.post('/payments').set('Idempotency-Key', key).send(pay).expect(409);
    const again = await t.http.post('/payments').set('Idempotency-Key', key).send(pay).expect(409);
    expect(first.headers['idempotent-replayed']).to.equal(undefined);
    expect(again.headers['idempotent-replayed']).to.equal(undefined);
    expect(await t.app.storage.value('SELECT COUNT(*) FROM idempotency_keys WHERE key = ?', [key])).to.equal(0);
  });

  it('when a payment is replayed, then it is not charged again, even after the bill was paid', async () => {
    const bill = (await t.http.post('/bills').send(billBody(await createUser())).expect(201)).body;
    const pay = { billId: bill.id, amount: 4200, currency: 'EUR', source: 'tok_visa' };
    const key = randomUUID();
    const first = await t.http.post('/payments').set('Idempotency-Key', key).send(pay).expect(201);
    await t.settle();
    const again = await t.http.post('/payments').set('Idempotency-Key', key).send(pay).expect(201);
    expect(again.body).to.deep.equal(first.body);
    expect(await charges()).to.equal(1);
    expect(await count('payment.success')).to.equal(1);
  });

  it('when the key is not 1 to 255 visible characters, then 400 names the header', async () => {
    const res = await t.http.post('/bills').set('Idempotency-Key', 'x'.repeat(256)).send({}).expect(400);
    expect(res.body.errors[0].field).to.equal('Idempotency-Key');
  });

  it('when a key is older than 24 hours, then it is pruned and the key can be used afresh; a younger one still binds', async () => {
    const userId = await createUser();
    await insertKey('old-key', 'another-hash', 'done', 'old-run', new Date(Date.now() - IDEMPOTENCY_TTL_MS - 60_000));
    await insertKey('young-key', 'another-hash', 'done', 'old-run', new Date(Date.now() - IDEMPOTENCY_TTL_MS + 60 * 60_000));
    await t.http.post('/bills').set('Idempotency-Key', 'old-key').send(billBody(userId)).expect(201);
    await t.http.post('/bills').set('Idempotency-Key', 'young-key').send(billBody(userId)).expect(422);
    expect(await t.app.storage.value('SELECT request_hash FROM idempotency_keys WHERE key = ?', ['old-key'])).to.be.a('string').and.not.equal('another-hash');
  });

  it('when a key was left running by a crashed process, then a repeat takes it over and runs', async () => {
    const userId = await createUser();
    await insertKey('crashed', requestHash('POST', '/bills', billBody(userId)), 'running', 'a-previous-run', new Date());
    const res = await t.http.post('/bills').set('Idempotency-Key', 'crashed').send(billBody(userId)).expect(201);
    expect((await t.http.post('/bills').set('Idempotency-Key', 'crashed').send(billBody(userId)).expect(201)).body).to.deep.equal(res.body);
    expect(await count('bill.created')).to.equal(1);
  });

  it('when a key is running under another process’s live lease, then a repeat is 409 and runs nothing; once the lease expired, it takes the key over', async () => {
    const userId = await createUser();
    const hash = requestHash('POST', '/bills', billBody(userId));
    await insertKey('live', hash, 'running', 'another-replica', new Date(), 60_000);
    const res = await t.http.post('/bills').set('Idempotency-Key', 'live').send(billBody(userId)).expect(409);
    expect(res.type).to.equal('application/problem+json');
    expect(res.body.detail).to.match(/Idempotency-Key live is still in progress/);
    expect(await count('bill.created')).to.equal(0);

    await insertKey('lapsed', hash, 'running', 'another-replica', new Date(), -1);
    const taken = await t.http.post('/bills').set('Idempotency-Key', 'lapsed').send(billBody(userId)).expect(201);
    expect(await t.app.storage.value('SELECT owner FROM idempotency_keys WHERE key = ?', ['lapsed'])).to.match(new RegExp(`^${t.app.instance.id}/\\d+$`));
    expect((await t.http.post('/bills').set('Idempotency-Key', 'lapsed').send(billBody(userId)).expect(201)).body).to.deep.equal(taken.body);
    expect(await count('bill.created')).to.equal(1);
  });

  /** The key's row as a process leaves it that committed the request's commands and died before storing its answer. */
  const dieBeforeAnswering = (key: string) =>
    t.app.storage.run(`UPDATE idempotency_keys SET state = 'running', status = NULL, content_type = NULL, location = NULL, body = NULL, owner = 'a-dead-replica', lease_expires_at = NULL WHERE key = ?`, [key]);

  it('when the process answering a key committed the bill and died before storing its answer, then a repeat answers from that commit and bills once', async () => {
    const userId = await createUser();
    const first = await t.http.post('/bills').set('Idempotency-Key', 'died').send(billBody(userId)).expect(201);
    expect(JSON.parse(String(await t.app.storage.value('SELECT commits FROM idempotency_keys WHERE key = ?', ['died'])))).to.deep.equal([first.body]);
    await dieBeforeAnswering('died');
    const again = await t.http.post('/bills').set('Idempotency-Key', 'died').send(billBody(userId)).expect(201);
    expect(again.headers['idempotent-replayed']).to.equal(undefined);
    expect(again.body).to.deep.equal(first.body);
    expect(again.headers.location).to.equal(first.headers.location);
    expect(await count('bill.created')).to.equal(1);
  });

  it('when the process answering a payment key died after recording it, then a repeat answers with that payment without asking the gateway again', async () => {
    const userId = await createUser();
    const bill = (await t.http.post('/bills').send(billBody(userId)).expect(201)).body;
    const pay = { billId: bill.id, amount: 4200, currency: 'EUR', source: 'tok_visa' };
    const first = await t.http.post('/payments').set('Idempotency-Key', 'paid-then-died').send(pay).expect(201);
    await dieBeforeAnswering('paid-then-died');
    // The gateway forgets the charge (its own idempotency window passed): asked again, it would charge again.
    await t.app.storage.run('DELETE FROM payments_simulator_charges');
    const again = await t.http.post('/payments').set('Idempotency-Key', 'paid-then-died').send(pay).expect(201);
    expect(again.body).to.deep.equal(first.body);
    expect(await charges(), 'the gateway was not asked again').to.equal(0);
    expect(await count('payment.success')).to.equal(1);
  });

  it('when a request that committed ends in a server error, then its key keeps the commit and the retry answers from it at once', async () => {
    const userId = await createUser();
    const hash = requestHash('POST', '/bills', billBody(userId));
    const keys = new IdempotencyKeys(t.app.storage, 'a-replica', 60_000);
    const claim = await keys.claim('failed-after-commit', hash, new Date());
    expect(claim.kind).to.equal('first');
    if (claim.kind !== 'first') return;
    const made = await t.app.host.commit(async () => ({ id: 'made-once' }), { context: { keyCommits: claim.key } });
    await claim.key.finish({ status: 500, contentType: null, location: null, body: '' });
    // Not removed, and its lease is gone: a retry takes it over now, without waiting out the minute.
    expect(await t.app.storage.value('SELECT commits FROM idempotency_keys WHERE key = ?', ['failed-after-commit'])).to.equal(JSON.stringify([made]));
    const retry = await new IdempotencyKeys(t.app.storage, 'another-replica', 60_000).claim('failed-after-commit', hash, new Date());
    expect(retry.kind).to.equal('first');
    if (retry.kind !== 'first') return;
    let ran = false;
    const replayed = await t.app.host.commit(async () => ((ran = true), { id: 'made-twice' }), { context: { keyCommits: retry.key } });
    expect(replayed).to.deep.equal(made);
    expect(ran).to.equal(false);
  });

  for (const where of ['another process', 'a retry to the same process']) {
    it(`when a request stalled past its lease and ${where} took its key over, then its next commit is refused and undone`, async () => {
      const userId = await createUser();
      const hash = requestHash('POST', '/bills', billBody(userId));
      const keys = new IdempotencyKeys(t.app.storage, 'a-stalled-replica', 1);
      const stalled = await keys.claim(`stalled ${where}`, hash, new Date());
      await new Promise((resolve) => setTimeout(resolve, 20));
      const taker = where === 'another process' ? new IdempotencyKeys(t.app.storage, 'another-replica', 60_000) : keys;
      const took = await taker.claim(`stalled ${where}`, hash, new Date());
      expect([stalled.kind, took.kind]).to.deep.equal(['first', 'first']);
      if (stalled.kind !== 'first' || took.kind !== 'first') return;
      const appendOne = (claimed: typeof stalled) =>
        t.app.host.commit(({ append }) => append([createUserCreatedEvent(randomUUID(), `${randomUUID()}@example.com`, 'Late', null)]), { context: { keyCommits: claimed.key } });
      await appendOne(took);
      const before = await count('user.created');
      await appendOne(stalled).then(
        () => expect.fail('the stalled request committed under a key it no longer held'),
        (error: unknown) => expect((error as Error).name).to.equal('ConflictError'),
      );
      expect(await count('user.created')).to.equal(before);
      expect(JSON.parse(String(await t.app.storage.value('SELECT commits FROM idempotency_keys WHERE key = ?', [`stalled ${where}`])))).to.have.length(1);
    });
  }

  it('when requests with one key race, then only one runs: the others get 409 while it runs, then its replay', async () => {
    await t.stop();
    t = await startTestApp({ MODULES: 'users,billing,payments', PAYMENT_GATEWAY_LATENCY_MS: '1000' });
    const server = await t.app.listen();
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/payments`;
    const bill = (await t.http.post('/bills').send(billBody(await createUser())).expect(201)).body;
    const body = JSON.stringify({ billId: bill.id, amount: 4200, currency: 'EUR', source: 'tok_visa' });
    const post = () =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'race' }, body }).then(async (r) => ({ status: r.status, body: (await r.json()) as { detail?: string; id?: string } }));
    const first = post();
    // Fire the rest once the first holds the key and waits on the gateway (a second of simulated latency).
    const inGateway = async () => Number(await t.app.storage.value(`SELECT COUNT(*) FROM payments_attempts WHERE bill_id = ? AND state = 'processing'`, [bill.id]));
    while ((await inGateway()) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const racers = await Promise.all(Array.from({ length: 9 }, post));
    expect(racers.map((r) => r.status)).to.deep.equal(Array(9).fill(409));
    expect(racers.every((r) => /Idempotency-Key race is still in progress/.test(String(r.body.detail)))).to.equal(true);
    const winner = await first;
    expect(winner.status).to.equal(201);
    const replay = await post();
    expect(replay).to.deep.equal(winner);
    expect(await charges()).to.equal(1);
    expect(await count('payment.success')).to.equal(1);
  });
});

describe('idempotentRequest for routes that parse their own body (multipart)', () => {
  it('when the route hashes what its parser read, then the same upload replays and a different one is 422', async () => {
    const dir = tempDir();
    const db = await openStorage(testConfig({}, dir), () => {});
    try {
      await runMigrations(db, [{ owner: 'idempotency', migrations: idempotencyMigrations }]);
      let runs = 0;
      const app = express();
      app.use(express.json());
      const keys = new IdempotencyKeys(db, 'this-process', 10_000);
      app.use(idempotency(keys)); // skips multipart: the route below guards itself after its parser
      app.post('/upload', multer().single('file'), idempotentRequest(keys, (req) => requestHash(req.method, req.originalUrl, { fields: req.body, file: req.file?.buffer.toString('base64') })), (_req, res) => {
        runs++;
        res.status(201).json({ run: runs });
      });
      app.use(errorMapper(pino({ level: 'silent' })));
      const upload = (content: string) => supertest(app).post('/upload').set('Idempotency-Key', 'k1').field('userId', 'u1').attach('file', Buffer.from(content), 'a.txt');
      expect((await upload('hello').expect(201)).body).to.deep.equal({ run: 1 });
      expect((await upload('hello').expect(201)).body).to.deep.equal({ run: 1 });
      expect((await upload('other bytes').expect(422)).body.errors[0].field).to.equal('Idempotency-Key');
      expect(runs).to.equal(1);
    } finally {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
      if (onPostgres) await dropSchema(schemaFor(dir));
    }
  });
});
