// A replica killed (SIGKILL) after a POST /bills with an Idempotency-Key committed and before the key's answer was
// stored: the client retries on the survivor, which takes the key over once its lease expired and answers with the
// bill the dead replica made. One bill, not two.
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { spawnReplica } from './support/childReplica.js';
import { startAppIn, tempDir, testConfig } from '../support/testApp.js';
import { dropSchema, onlyOnPostgres, schemaFor } from '../support/testStorage.js';

describe('a replica killed after committing a request and before storing its key’s answer', function () {
  this.timeout(60_000);
  onlyOnPostgres();

  it('has the survivor answer the retry with the bill the dead one committed, once its lease expired', async () => {
    const dir = tempDir();
    const { child, lines, exited } = spawnReplica('keyReplicaChild.ts', dir);
    const first = await lines.next();
    const survivor = await startAppIn(dir, testConfig({ MODULES: 'users,billing' }, dir)).catch((error) => {
      child.kill('SIGKILL');
      throw error;
    });
    try {
      const { port } = JSON.parse(String(first.value)) as { port: number };
      const user = (await survivor.http.post('/users').send({ email: `${randomUUID()}@example.com`, name: 'Ada' }).expect(201)).body;
      const bill = { userId: user.id, amount: 4200, currency: 'EUR', dueDate: '2030-01-31' };
      const key = randomUUID();
      const lost = await fetch(`http://127.0.0.1:${port}/bills`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key }, body: JSON.stringify(bill) }).then(
        (res) => `answered ${res.status}`,
        () => 'no answer',
      );
      expect(lost, 'the client never hears from the dead replica').to.equal('no answer');
      expect(await exited).to.equal('SIGKILL');
      const made = await survivor.app.storage.all<{ id: string }>('SELECT id FROM billing_bills WHERE user_id = ?', [user.id]);
      expect(made, 'the dead replica committed the bill').to.have.length(1);

      // The retry: 409 while the dead replica's lease runs, then the answer the dead one would have given.
      const killedAt = Date.now();
      let retry = await survivor.http.post('/bills').set('Idempotency-Key', key).send(bill);
      while (retry.status === 409) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        retry = await survivor.http.post('/bills').set('Idempotency-Key', key).send(bill);
      }
      expect(retry.status).to.equal(201);
      expect(retry.body.id).to.equal(made[0]!.id);
      expect(retry.headers.location).to.equal(`/bills/${made[0]!.id}`);
      expect(await survivor.app.storage.value('SELECT COUNT(*) FROM billing_bills WHERE user_id = ?', [user.id])).to.equal(1);
      expect((await survivor.app.store.readAll({ types: ['bill.created'], limit: 10 })).length).to.equal(1);
      const replay = await survivor.http.post('/bills').set('Idempotency-Key', key).send(bill).expect(201);
      expect(replay.headers['idempotent-replayed']).to.equal('true');
      expect(replay.body).to.deep.equal(retry.body);
      console.log(`      answered ${Date.now() - killedAt} ms after the kill (LEASE_TTL_MS ${survivor.app.config.leaseTtlMs})`);
    } finally {
      child.kill('SIGKILL');
      await survivor.app.stop();
      fs.rmSync(dir, { recursive: true, force: true });
      await dropSchema(schemaFor(dir));
    }
  });
});
