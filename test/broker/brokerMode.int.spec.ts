// Broker mode against the real RabbitMQ: what an outside consumer sees, reactions and projections fed by the
// module queues (also across two apps with their own databases), poison messages and /ready.
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { expect } from 'chai';
import type { StoredEvent } from '../../src/events/envelope.js';
import { createUserCreatedEvent } from '../../src/events/catalog.js';
import type { ModuleName } from '../../src/config.js';
import { startTestApp, type TestApp } from '../support/testApp.js';
import { BROKER_URL, type BrokerEnv, brokerEnv, deleteBrokerObjects, OutsideConsumer, rabbitmqctl, requireBroker, startBrokerApp, waitUntil } from './support/broker.js';
import { effects, probeModule, projectedUsers } from './support/probeModules.js';

describe('broker mode (EVENT_TRANSPORT=rabbitmq)', function () {
  this.timeout(20_000);
  requireBroker();

  let env: BrokerEnv;
  let apps: TestApp[];
  let outside: OutsideConsumer | undefined;
  beforeEach(() => {
    env = brokerEnv();
    apps = [];
  });
  afterEach(async () => {
    for (const a of apps) await a.stop();
    await outside?.close();
    outside = undefined;
    await deleteBrokerObjects(env, ['probe', 'mirror'], [`${env.RABBITMQ_EXCHANGE}.outside`]);
  });

  async function start(modules: ModuleName[], extra = [] as ReturnType<typeof probeModule>[]): Promise<TestApp> {
    const t = await startBrokerApp(env, modules, extra);
    apps.push(t);
    return t;
  }

  it('publishes every event of the log to the exchange, with the wire format of CONTRACT.md', async () => {
    outside = await OutsideConsumer.bind(env.RABBITMQ_EXCHANGE);
    const { http, settle } = await start(['users']);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await http.post('/users').set('X-Correlation-Id', `corr-${i}`).send({ email: `u${i}@wire.test`, name: `U ${i}` }).expect(201);
      ids.push(res.body.id);
    }
    await http.patch(`/users/${ids[0]}`).send({ name: 'Renamed' }).expect(200);
    await settle();

    const log = (await http.get('/events?limit=1000').expect(200)).body.items as StoredEvent[];
    expect(log).to.have.length(6);
    await outside.waitForIds(log.map((e) => e.id));
    for (const event of log) {
      const m = outside.messages.find((x) => x.properties.messageId === event.id)!;
      const { position: _p, ...envelope } = event;
      expect(JSON.parse(m.content.toString('utf8'))).to.deep.equal(envelope);
      expect(m.fields.exchange).to.equal(env.RABBITMQ_EXCHANGE);
      expect(m.fields.routingKey).to.equal(event.type);
      expect(m.properties).to.include({ contentType: 'application/json', type: event.type, correlationId: event.metadata.correlationId, deliveryMode: 2 });
      expect(m.properties.timestamp).to.equal(Math.floor(Date.parse(event.occurredAt) / 1000));
    }
    expect(log[0]!.metadata.correlationId).to.equal('corr-0');
  });

  it('reports the broker on /metrics: connected, relayed rows, queue depth and consumers, failed deliveries', async () => {
    const { app, http, settle } = await start(['users'], [probeModule('probe', { reactTo: ['user.created'] })]);
    await http.post('/users').send({ email: 'metrics@broker.test', name: 'M' }).expect(201);
    await settle();
    const queue = `${env.RABBITMQ_QUEUE_PREFIX}.probe`;
    const conn = await amqp.connect(BROKER_URL);
    const ch = await conn.createChannel();
    ch.sendToQueue(queue, Buffer.from('not json'));
    await ch.close();
    await conn.close();
    await waitUntil(() => (app.transport as unknown as { stats(): { failedDeliveries: number } }).stats().failedDeliveries === 1);
    const text = (await http.get('/metrics').expect(200)).text;
    expect(text).to.match(/^paybus_broker_connected 1$/m);
    expect(text).to.match(/^paybus_outbox_relayed_total 1$/m);
    expect(text).to.match(/^paybus_broker_failed_deliveries_total 1$/m);
    expect(text).to.match(new RegExp(`^paybus_queue_consumers\\{queue="${queue.replace(/\./g, '\\.')}"\\} 1$`, 'm'));
    expect(text).to.match(new RegExp(`^paybus_queue_messages\\{queue="${queue.replace(/\./g, '\\.')}"\\} 0$`, 'm'));
  });

  it('runs reactions from the module queue once, and feeds a projection in another app through its own queue', async () => {
    const api = await start(['users'], [probeModule('probe', { reactTo: ['user.*'] })]);
    const worker = await start([], [probeModule('mirror', { projectFrom: ['user.created', 'user.updated'] })]);
    const created = await api.http.post('/users').send({ email: 'flow@broker.test', name: 'Flow' }).expect(201);
    await api.http.patch(`/users/${created.body.id}`).send({ email: 'flow2@broker.test' }).expect(200);
    await api.settle();
    await waitUntil(async () => (await projectedUsers(worker.app.storage, 'mirror'))[0]?.email === 'flow2@broker.test');

    expect((await effects(api.app.storage, 'probe')).map((e) => e.type)).to.deep.equal(['user.created', 'user.updated']);
    expect(await projectedUsers(worker.app.storage, 'mirror')).to.deep.equal([{ id: created.body.id, email: 'flow2@broker.test' }]);
    // The worker's database has no user events of its own: the projection got them from RabbitMQ.
    expect(await worker.app.store.readAll({ after: 0, limit: 10 })).to.have.length(0);
    await api.http.get('/ready').expect(200);
  });

  it('sends a message that is not an event to the dead-letter queue and goes on with the next one', async () => {
    const { app, settle } = await start(['users'], [probeModule('probe', { reactTo: ['user.created'] })]);
    const queue = `${env.RABBITMQ_QUEUE_PREFIX}.probe`;
    const good = createUserCreatedEvent(randomUUID(), 'after-poison@broker.test', 'After', null);
    const connection = await amqp.connect(BROKER_URL);
    try {
      const ch = await connection.createConfirmChannel();
      ch.sendToQueue(queue, Buffer.from('{ not json'), { messageId: 'poison-1' });
      ch.sendToQueue(queue, Buffer.from(JSON.stringify({ id: 'x', type: 'user.created' })), { messageId: 'poison-2' });
      ch.sendToQueue(queue, Buffer.from(JSON.stringify(good)), { messageId: good.id, type: good.type });
      await ch.waitForConfirms();
      await waitUntil(async () => (await effects(app.storage, 'probe')).length === 1);
      await settle();
      expect(await effects(app.storage, 'probe')).to.deep.equal([{ event_id: good.id, type: 'user.created' }]);
      const dead = [];
      for (let m = await ch.get(`${queue}.dlq`); m; m = await ch.get(`${queue}.dlq`)) dead.push(m.properties.messageId);
      expect(dead).to.deep.equal(['poison-1', 'poison-2']);
      expect((await ch.checkQueue(queue)).messageCount).to.equal(0);
    } finally {
      await connection.close();
    }
  });

  it('declares quorum queues when RABBITMQ_QUEUE_TYPE=quorum, and handles events through them', async () => {
    env = { ...env, RABBITMQ_QUEUE_TYPE: 'quorum' };
    const { app, http, settle } = await start(['users'], [probeModule('probe', { reactTo: ['user.created'] })]);
    await http.post('/users').send({ email: 'quorum@broker.test', name: 'Quorum' }).expect(201);
    await settle();
    expect(await effects(app.storage, 'probe')).to.have.length(1);
    const types = Object.fromEntries((await rabbitmqctl('-q', 'list_queues', 'name', 'type')).trim().split('\n').map((l) => l.split(/\s+/)));
    const prefix = env.RABBITMQ_QUEUE_PREFIX;
    expect([types[`${prefix}.users`], types[`${prefix}.probe`], types[`${prefix}.probe.dlq`]]).to.deep.equal(['quorum', 'quorum', 'quorum']);
  });

  it('is not ready until connected, and says so on /ready', async () => {
    const { http } = await startTestApp({ ...env, MODULES: 'users', RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:1' }, {}).then((t) => (apps.push(t), t));
    await http.get('/ready').expect(503);
    await http.get('/health').expect(200);
    // Writes are still accepted: the events wait in the outbox.
    await http.post('/users').send({ email: 'offline@broker.test', name: 'Offline' }).expect(201);
    expect((await apps[0]!.app.outbox.status()).pending).to.equal(1);
  });
});
