// Broker mode when RabbitMQ misbehaves: connections closed by the broker, and the broker stopped for a while.
import { expect } from 'chai';
import type { BrokerTransport } from '../../src/broker/BrokerTransport.js';
import type { StoredEvent } from '../../src/events/envelope.js';
import type { TestApp } from '../support/testApp.js';
import { type BrokerEnv, brokerEnv, deleteBrokerObjects, OutsideConsumer, rabbitmqctl, requireBroker, startBrokerApp, waitUntil } from './support/broker.js';
import { effects, probeModule } from './support/probeModules.js';

describe('broker mode recovery', function () {
  this.timeout(30_000);
  requireBroker();

  let env: BrokerEnv;
  let t: TestApp | undefined;
  let outside: OutsideConsumer | undefined;
  beforeEach(() => {
    env = brokerEnv();
  });
  afterEach(async () => {
    await t?.stop();
    await outside?.close();
    t = outside = undefined;
    await deleteBrokerObjects(env, ['probe'], [`${env.RABBITMQ_EXCHANGE}.outside`]);
  });
  after(async () => {
    // Whatever happened in a test (a mocha timeout does not stop its code), leave the broker running.
    await rabbitmqctl('start_app').catch(() => {});
  });

  const start = () => startBrokerApp(env, ['users'], [probeModule('probe', { reactTo: ['user.created'] })]);
  const createUsers = async (http: TestApp['http'], n: number, tag: string) => {
    for (let i = 0; i < n; i++) await http.post('/users').send({ email: `${tag}${i}@recovery.test`, name: `${tag} ${i}` }).expect(201);
  };

  it('reconnects when the broker closes its connection, and goes on delivering', async () => {
    t = await start();
    const transport = t.app.transport as BrokerTransport;
    await createUsers(t.http, 2, 'before');
    await t.settle();
    expect(transport.connections).to.equal(1);

    await rabbitmqctl('close_all_connections', 'test');
    await waitUntil(() => transport.connections === 2 && t!.app.host.ready());
    await createUsers(t.http, 2, 'after');
    await t.settle();
    expect(await effects(t.app.storage, 'probe')).to.have.length(4);
    await t.http.get('/ready').expect(200);
  });

  it('accepts writes while RabbitMQ is stopped, and delivers all of them once it is back', async function () {
    this.timeout(90_000);
    outside = await OutsideConsumer.bind(env.RABBITMQ_EXCHANGE);
    t = await start();
    await createUsers(t.http, 2, 'before');
    await t.settle();

    await rabbitmqctl('stop_app');
    try {
      await waitUntil(() => !t!.app.host.ready(), 20_000, 'paybus to notice the broker is gone');
      await t.http.get('/ready').expect(503);
      await t.http.get('/health').expect(200);
      await createUsers(t.http, 10, 'during');
      expect((await t.app.outbox.status()).pending).to.equal(10);
    } finally {
      await rabbitmqctl('start_app');
    }
    const back = performance.now();
    await waitUntil(() => t!.app.host.ready());
    const reconnectedMs = performance.now() - back;
    await t.settle();
    const recoveredMs = performance.now() - back;
    console.log(`      broker back: reconnected after ${Math.round(reconnectedMs)} ms, backlog drained and handled after ${Math.round(recoveredMs)} ms`);

    const handled = (await effects(t.app.storage, 'probe')).map((e) => e.event_id);
    expect(handled).to.have.length(12);
    expect(new Set(handled).size).to.equal(12);
    const log = (await t.http.get('/events?limit=1000').expect(200)).body.items as StoredEvent[];
    await outside.close();
    await outside.connect(); // its connection died with the broker; the durable queue kept the messages
    await outside.waitForIds(log.map((e) => e.id));
    // Rows that went out just before the stop may come twice (their confirm was lost); none is missing.
    expect(new Set(outside.ids()).size).to.equal(12);
  });
});
