// Idempotency-Key across two replicas on one PostgreSQL database: the replica answering a key holds it under a lease
// it renews while the request runs; the other answers 409 meanwhile, then replays the first response.
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { waitUntil } from '../broker/support/broker.js';
import { startAppIn, tempDir, testConfig } from '../support/testApp.js';
import { dropSchema, onlyOnPostgres, schemaFor } from '../support/testStorage.js';

const MODULES = 'users,billing,payments';

describe('an Idempotency-Key on two replicas of one PostgreSQL database', function () {
  onlyOnPostgres();

  it('is 409 on the other replica while its owner answers, even past a lease, then the first response; another body is 422', async () => {
    const dir = tempDir();
    // A's gateway answers after three leases: A must renew the key's lease or B would take it over and pay again.
    const a = await startAppIn(dir, testConfig({ MODULES, PAYMENT_GATEWAY_LATENCY_MS: '4500' }, dir));
    const b = await startAppIn(dir, testConfig({ MODULES }, dir));
    try {
      const user = await b.http.post('/users').send({ email: `${randomUUID()}@example.com`, name: 'Ada' }).expect(201);
      const bill = (await b.http.post('/bills').send({ userId: user.body.id, amount: 4200, currency: 'EUR', dueDate: '2030-01-31' }).expect(201)).body;
      const pay = { billId: bill.id, amount: 4200, currency: 'EUR', source: 'tok_visa' };
      const key = randomUUID();
      let answered = false;
      const first = a.http
        .post('/payments')
        .set('Idempotency-Key', key)
        .send(pay)
        .then((res) => ((answered = true), res));
      await waitUntil(async () => (await b.app.storage.value(`SELECT 1 FROM payments_attempts WHERE bill_id = ?`, [bill.id])) !== undefined);

      let repeats = 0;
      while (!answered) {
        const res = await b.http.post('/payments').set('Idempotency-Key', key).send(pay);
        // A's answer may land between the check and this request: then it is the replay, checked below.
        if (answered && res.status === 201) break;
        repeats++;
        expect(res.status, `repeat ${repeats} on B`).to.equal(409);
        expect(res.type).to.equal('application/problem+json');
        expect(res.body.detail).to.equal(`a request with Idempotency-Key ${key} is still in progress; retry once it has finished`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const winner = await first;
      expect(winner.status).to.equal(201);
      const replay = await b.http.post('/payments').set('Idempotency-Key', key).send(pay).expect(201);
      expect(replay.headers['idempotent-replayed']).to.equal('true');
      expect(replay.body).to.deep.equal(winner.body);
      const other = await b.http.post('/payments').set('Idempotency-Key', key).send({ ...pay, source: 'tok_mastercard' }).expect(422);
      expect(other.body.errors[0].field).to.equal('Idempotency-Key');
      expect(await b.app.storage.value('SELECT COUNT(*) FROM payments_simulator_charges WHERE bill_id = ?', [bill.id])).to.equal(1);
      expect(await b.app.store.readAll({ types: ['payment.success', 'payment.failed'], limit: 10 })).to.have.length(1);
    } finally {
      await a.app.stop();
      await b.app.stop();
      fs.rmSync(dir, { recursive: true, force: true });
      await dropSchema(schemaFor(dir));
    }
  });
});
