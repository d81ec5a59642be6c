// Two consumers of one message on two processes sharing PostgreSQL (a redelivery during a hand-over, two workers on
// one queue): the inbox row is claimed first in the handler's transaction, so the second waits on the first's claim
// and then finds the event handled. One effect.
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { pino } from 'pino';
import { createUserCreatedEvent } from '../../src/events/catalog.js';
import type { ModuleDefinition } from '../../src/moduleKit.js';
import { BatchRunner } from '../../src/runtime/BatchRunner.js';
import { waitUntil } from '../broker/support/broker.js';
import { startAppIn, type TestApp, tempDir, testConfig } from '../support/testApp.js';
import { dropSchema, onlyOnPostgres, schemaFor } from '../support/testStorage.js';

/** A transactional reaction whose first run stops inside its transaction until the test opens the gate. */
function gatedModule(gate: Promise<void>, entered: number[]): ModuleDefinition {
  return {
    name: 'analytics',
    migrations: [{ id: '001', sql: 'CREATE TABLE gated_effects (event_id TEXT NOT NULL, handled_at TEXT NOT NULL)' }],
    create: () => ({
      reactions: [
        {
          name: 'gated.reaction',
          types: ['user.created'],
          async apply(event, { tx }) {
            entered.push((await tx.value<number>('SELECT pg_backend_pid()'))!);
            await gate;
            await tx.run('INSERT INTO gated_effects (event_id, handled_at) VALUES (?, ?)', [event.id, new Date().toISOString()]);
          },
        },
      ],
    }),
  };
}

describe('one event handled by two consumers at once on one PostgreSQL database', function () {
  onlyOnPostgres('SQLite has one writer, so one consumer at a time');

  it('makes one effect: the second consumer waits on the first’s inbox claim, then skips the event', async () => {
    const dir = tempDir();
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => (open = resolve));
    const entered: number[] = [];
    const start = () => startAppIn(dir, testConfig({ MODULES: 'users' }, dir), { extraModules: [gatedModule(gate, entered)] });
    const apps: TestApp[] = [];
    try {
      apps.push(await start(), await start());
      const [a, b] = apps as [TestApp, TestApp];
      // Never committed to the log: only the two consumers below ever see it, as if the broker delivered it twice.
      const event = createUserCreatedEvent(randomUUID(), `${randomUUID()}@x.test`, 'Twice', null);

      // A: one event at a time through the processor; it stops inside its transaction, its inbox row not committed.
      const onA = a.app.processor.process(a.app.host.subscribers.get('gated.reaction')!, event);
      await waitUntil(() => entered.length === 1);
      // B: the batch path a module queue's consumer takes.
      let doneOnB = false;
      const runner = new BatchRunner('inbox-test', { commit: b.app.host.commit.bind(b.app.host), processor: b.app.processor, log: pino({ level: 'silent' }) });
      runner.push({ event, subscriber: b.app.host.subscribers.get('gated.reaction')!, done: () => (doneOnB = true), abandoned: () => {} });
      // Either B waits behind A's claim, or it got into the handler too (the effect would happen twice).
      const blockedByA = async () => Number(await b.app.storage.value('SELECT count(*) FROM pg_stat_activity WHERE ? = ANY(pg_blocking_pids(pid))', [entered[0]])) > 0;
      await waitUntil(async () => entered.length > 1 || (await blockedByA()));
      expect(entered, 'B ran the handler while A held the event').to.have.length(1);
      open();

      expect(await onA).to.equal('handled');
      await runner.idle();
      expect(doneOnB).to.equal(true);
      expect(entered).to.have.length(1);
      expect(await a.app.storage.value('SELECT COUNT(*) FROM gated_effects WHERE event_id = ?', [event.id])).to.equal(1);
      expect(await a.app.storage.value('SELECT COUNT(*) FROM inbox WHERE subscriber = ? AND event_id = ?', ['gated.reaction', event.id])).to.equal(1);
      expect(await a.app.processor.deadLetters.find()).to.deep.equal([]);
    } finally {
      open();
      for (const t of apps) await t.app.stop();
      fs.rmSync(dir, { recursive: true, force: true });
      await dropSchema(schemaFor(dir));
    }
  });
});
