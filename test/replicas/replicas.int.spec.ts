// Two paybus processes on one PostgreSQL database (two apps in this process, each with its own pool, listener and
// leases, stand in for two hosts): every job held by one of them at a time, handed over when its holder goes.
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { ModuleName } from '../../src/config.js';
import { createUserCreatedEvent } from '../../src/events/catalog.js';
import type { MemoryTransport } from '../../src/runtime/MemoryTransport.js';
import { brokerEnv, deleteBrokerObjects, OutsideConsumer, rabbitmqctl, requireBroker, waitUntil } from '../broker/support/broker.js';
import { startAppIn, type TestApp, tempDir, testConfig } from '../support/testApp.js';
import { probeEffects, probeModule } from '../support/testModule.js';
import { dropSchema, onlyOnPostgres, schemaFor } from '../support/testStorage.js';

const user = (name: string) => createUserCreatedEvent(randomUUID(), `${randomUUID()}@x.test`, name, null);

/**
 * Two apps on one database: the same folder gives the same schema. `stop` drops it once both are gone. Their only
 * subscriber is the probe reaction (a module named analytics: in broker mode, its queue is <prefix>.analytics).
 */
async function pair(env: Record<string, string>, modules: ModuleName[] = ['users']): Promise<{ a: TestApp; b: TestApp; stop(): Promise<void> }> {
  const dir = tempDir();
  const start = () => startAppIn(dir, { ...testConfig(env, dir), modules }, { extraModules: [probeModule(['user.created'])] });
  const a = await start();
  const b = await start();
  return {
    a,
    b,
    stop: async () => {
      for (const t of [a, b]) await t.app.stop();
      fs.rmSync(dir, { recursive: true, force: true });
      await dropSchema(schemaFor(dir));
    },
  };
}

const runsProbe = (t: TestApp) => (t.app.transport as MemoryTransport).feeds.some((f) => f.subscriber.name === 'probe.reaction');

describe('several instances on one PostgreSQL database', function () {
  onlyOnPostgres();

  it('runs each memory-mode reaction in one of them, handles what the other commits at once, and hands it over when its holder stops', async () => {
    const { a, b, stop } = await pair({});
    try {
      // A started first and took the reaction; B stands by.
      expect([runsProbe(a), runsProbe(b)]).to.deep.equal([true, false]);
      const leases = await a.app.leases.list();
      const lease = leases.find((l) => l.name === 'subscriber:probe.reaction')!;
      expect(lease).to.include({ holder: a.app.instance.id, pid: process.pid, live: true });

      // Committed on B, handled by A: B's commit reaches A through LISTEN/NOTIFY (nothing polls).
      const onB = user('on-b');
      await b.app.host.commit((uow) => uow.append([onB]));
      await waitUntil(async () => (await probeEffects(a.app.storage)).length === 1);
      expect((await probeEffects(a.app.storage)).map((e) => e.event_id)).to.deep.equal([onB.id]);

      // A stops (a deploy): it lets the reaction go, B takes it over and handles what is committed from then on.
      await a.app.stop();
      await waitUntil(() => runsProbe(b));
      const later = user('later');
      await b.app.host.commit((uow) => uow.append([later]));
      await b.settle();
      expect((await probeEffects(b.app.storage)).map((e) => e.event_id)).to.deep.equal([onB.id, later.id]);
      expect((await b.app.leases.list()).find((l) => l.name === 'subscriber:probe.reaction')).to.include({ holder: b.app.instance.id });
    } finally {
      await stop();
    }
  });

  describe('in broker mode', () => {
    requireBroker();

    it('relays every process’s outbox through the one holding the relay lock, and the other takes over when it stops', async () => {
      const env = brokerEnv();
      const consumer = await OutsideConsumer.bind(env.RABBITMQ_EXCHANGE);
      const { a, b, stop } = await pair(env, []);
      try {
        const relays = async () => (await b.app.leases.list()).find((l) => l.name === 'outbox-relay');
        expect(await relays()).to.include({ holder: a.app.instance.id, live: true });
        // Committed on B, published by A's relay as soon as B commits.
        const first = user('first');
        await b.app.host.commit((uow) => uow.append([first]));
        await waitUntil(() => consumer.ids().includes(first.id));
        await a.app.stop();
        await waitUntil(async () => (await relays())?.holder === b.app.instance.id);
        const second = user('second');
        await b.app.host.commit((uow) => uow.append([second]));
        await waitUntil(() => consumer.ids().includes(second.id));
        // Marked sent once RabbitMQ confirmed it, which may come a moment after the consumer saw it.
        await waitUntil(async () => (await b.app.outbox.status()).pending === 0);
      } finally {
        await stop();
        await consumer.close();
        await deleteBrokerObjects(env, ['analytics'], [consumer.queue]);
      }
    });

    it('declares module queues single active consumer: of two processes consuming one queue, one is active', async () => {
      const env = brokerEnv();
      const { a, b, stop } = await pair(env, []);
      try {
        const queue = `${env.RABBITMQ_QUEUE_PREFIX}.analytics`;
        const rows = (await rabbitmqctl('list_consumers', 'queue_name', 'active', '--silent'))
          .split('\n')
          .map((line) => line.trim().split(/\s+/))
          .filter(([name]) => name === queue);
        expect(rows.map(([, active]) => active).sort()).to.deep.equal(['false', 'true']);
        expect(a.app.config.rabbitmq.singleActiveConsumer && b.app.config.rabbitmq.singleActiveConsumer).to.equal(true);
      } finally {
        await stop();
        await deleteBrokerObjects(env, ['analytics']);
      }
    });
  });
});
