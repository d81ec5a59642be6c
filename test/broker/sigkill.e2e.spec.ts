// SIGKILL of a broker-mode process in the middle of a burst of writes: after a restart, every event of the
// log reaches an outside consumer (duplicates allowed and counted) and no reaction's effect happens twice.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { tempDir } from '../support/testApp.js';
import { databaseEnv, dropSchema, onPostgres, schemaFor } from '../support/testStorage.js';
import { type BrokerEnv, brokerEnv, deleteBrokerObjects, openDatabaseOf, OutsideConsumer, requireBroker, waitUntil } from './support/broker.js';
import { exited, killAll, startProcess } from './support/processes.js';

const CHILD = 'test/broker/support/brokerChild.ts';
const startChild = (env: Record<string, string>) => startProcess(CHILD, env);

describe('broker mode: SIGKILL during a burst of writes', function () {
  this.timeout(60_000);
  requireBroker();

  let env: BrokerEnv;
  let dir: string;
  let outside: OutsideConsumer | undefined;
  const children: ChildProcess[] = [];
  after(async () => {
    killAll(children);
    await outside?.close();
    if (env) await deleteBrokerObjects(env, ['probe'], [`${env.RABBITMQ_EXCHANGE}.outside`]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    if (dir && onPostgres) await dropSchema(schemaFor(dir));
  });

  it('loses no event and applies no effect twice', async () => {
    dir = tempDir();
    env = brokerEnv({ MODULES: 'users', ...databaseEnv(dir, path.join(dir, 'paybus.db')), PORT: '0', LOG_LEVEL: 'silent', RETRY_MIN_MS: '1', RETRY_MAX_MS: '5' });
    outside = await OutsideConsumer.bind(env.RABBITMQ_EXCHANGE);

    const first = await startChild(env);
    children.push(first.proc);
    let accepted = 0;
    let stop = false;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const res = await fetch(`${first.url}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `w${w}-${i}@kill.test`, name: 'K' }) }).catch(() => undefined);
        if (res?.status === 201) accepted++;
        else return; // the process is gone
      }
    };
    const writers = Array.from({ length: 8 }, (_, w) => writer(w));
    await waitUntil(() => accepted >= 150);
    first.proc.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    await exited(first.proc);

    const second = await startChild(env);
    children.push(second.proc);
    const db = await openDatabaseOf(env);
    try {
      const logged = async () => (await db.all<{ id: string }>('SELECT id FROM events ORDER BY position')).map((r) => r.id);
      const pending = async () => Number(await db.value('SELECT COUNT(*) FROM outbox WHERE published_at IS NULL'));
      const effectIds = async () => (await db.all<{ event_id: string }>('SELECT event_id FROM probe_effects')).map((r) => r.event_id);
      const ids = await logged();
      expect(ids.length).to.be.at.least(accepted); // every 201 committed its event
      await outside.waitForIds(ids);
      await waitUntil(async () => (await pending()) === 0 && (await effectIds()).length >= ids.length);

      const effects = await effectIds();
      expect(effects).to.have.length(ids.length);
      expect(new Set(effects).size).to.equal(ids.length);
      const duplicates = outside.messages.length - new Set(outside.ids()).size;
      console.log(`      ${ids.length} events logged (${accepted} writes answered 201), ${duplicates} duplicate deliveries to the outside consumer`);
    } finally {
      await db.close();
    }

    second.proc.kill('SIGTERM');
    expect(await exited(second.proc)).to.equal(0); // graceful stop exits 0
  });
});
