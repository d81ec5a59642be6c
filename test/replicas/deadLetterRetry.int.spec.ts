// Two operators retrying one dead letter at once, on two replicas sharing PostgreSQL: each retry holds the letter's
// lock, so it is re-delivered once; the other retry hears 409 while it runs, 404 once it removed the letter.
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createUserCreatedEvent } from '../../src/events/catalog.js';
import { waitUntil } from '../broker/support/broker.js';
import { startAppIn, type TestApp, tempDir, testConfig } from '../support/testApp.js';
import { probeEffects, probeModule } from '../support/testModule.js';
import { dropSchema, onlyOnPostgres, schemaFor } from '../support/testStorage.js';

const TOKEN = 'admin-token-for-replica-tests-41d7';

describe('a dead letter retried on two replicas at once', function () {
  onlyOnPostgres();

  it('is re-delivered once: the second retry is 409 problem+json while the first runs, and 404 after it', async () => {
    const dir = tempDir();
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    let deliveries = 0;
    // The probe's effect outside the database (a mail, say) happens before its commit: counted here, held at the gate.
    const behaviour = async () => {
      deliveries++;
      await gate;
    };
    const start = () => startAppIn(dir, testConfig({ MODULES: 'users', ADMIN_TOKEN: TOKEN }, dir), { extraModules: [probeModule(['user.created'], behaviour)] });
    const apps: TestApp[] = [];
    try {
      apps.push(await start(), await start());
      const [a, b] = apps as [TestApp, TestApp];
      const event = createUserCreatedEvent(randomUUID(), `${randomUUID()}@x.test`, 'Dead', null);
      await a.app.deadLetters.add('probe.reaction', event, new Error('smtp was down'), 3);
      const [letter] = await a.app.deadLetters.find();
      const retry = (t: TestApp) => t.http.post(`/admin/dead-letters/${letter!.id}/retry`).set('authorization', `Bearer ${TOKEN}`);

      const onA = retry(a).then((res) => res);
      await waitUntil(() => deliveries === 1);
      const onB = await retry(b);
      expect(onB.status).to.equal(409);
      expect(onB.type).to.equal('application/problem+json');
      expect(onB.body.detail).to.match(/is being retried already/);
      open();

      const first = await onA;
      expect(first.status).to.equal(200);
      expect(first.body).to.include({ outcome: 'handled', deadLetter: null });
      expect((await retry(b)).status).to.equal(404);
      expect(deliveries).to.equal(1);
      expect((await probeEffects(a.app.storage)).map((e) => e.event_id)).to.deep.equal([event.id]);
      expect(await a.app.deadLetters.find()).to.deep.equal([]);
    } finally {
      open();
      for (const t of apps) await t.app.stop();
      fs.rmSync(dir, { recursive: true, force: true });
      await dropSchema(schemaFor(dir));
    }
  });
});
