// A replica killed (SIGKILL) in the middle of charging a payment: the survivor, running beside it, claims the
// attempt once the dead one's lease has expired and finishes it, with one charge and the bill paid.
import fs from 'node:fs';
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { waitUntil } from '../broker/support/broker.js';
import { spawnReplica } from './support/childReplica.js';
import { startAppIn, tempDir, testConfig } from '../support/testApp.js';
import { dropSchema, onlyOnPostgres, schemaFor } from '../support/testStorage.js';

describe('a replica killed while it charges a payment', function () {
  this.timeout(60_000);
  onlyOnPostgres();

  it('has the survivor finish the payment after the lease expired: one charge, one payment.success, the bill paid', async () => {
    const dir = tempDir();
    const { child, lines, exited } = spawnReplica('paymentReplicaChild.ts', dir);
    // The child first, so it also holds the resume job: the survivor must take over both.
    const first = await lines.next();
    const survivor = await startAppIn(dir, testConfig({ MODULES: 'users,billing,payments' }, dir)).catch((error) => {
      child.kill('SIGKILL');
      throw error;
    });
    try {
      const { port, instance } = JSON.parse(String(first.value)) as { port: number; instance: string };
      const user = await survivor.http.post('/users').send({ email: `${randomUUID()}@example.com`, name: 'Ada' }).expect(201);
      const bill = (await survivor.http.post('/bills').send({ userId: user.body.id, amount: 4200, currency: 'EUR', dueDate: '2030-01-31' }).expect(201)).body;
      // Paid on the child, whose gateway takes a minute: killed while the charge is in flight.
      const body = JSON.stringify({ billId: bill.id, amount: 4200, currency: 'EUR', source: 'tok_visa' });
      void fetch(`http://127.0.0.1:${port}/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).catch(() => {});
      const owner = () => survivor.app.storage.one<{ id: string; owner: string; state: string }>('SELECT id, owner, state FROM payments_attempts WHERE bill_id = ?', [bill.id]);
      await waitUntil(async () => (await owner())?.owner === instance);
      const paymentId = (await owner())!.id;
      child.kill('SIGKILL');
      expect(await exited).to.equal('SIGKILL');

      await waitUntil(async () => (await owner())?.state === 'succeeded');
      expect(await owner()).to.deep.equal({ id: paymentId, owner: survivor.app.instance.id, state: 'succeeded' });
      expect((await survivor.http.get(`/payments/${paymentId}`).expect(200)).body).to.deep.include({ billId: bill.id, status: 'succeeded' });
      expect(await survivor.app.storage.value('SELECT COUNT(*) FROM payments_simulator_charges WHERE bill_id = ?', [bill.id])).to.equal(1);
      await survivor.settle();
      expect((await survivor.http.get(`/bills/${bill.id}`).expect(200)).body).to.deep.include({ status: 'paid', paymentId });
      expect(await survivor.app.store.readAll({ types: ['payment.success'], limit: 10 })).to.have.length(1);
    } finally {
      child.kill('SIGKILL');
      await survivor.app.stop();
      fs.rmSync(dir, { recursive: true, force: true });
      await dropSchema(schemaFor(dir));
    }
  });
});
