import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { AppOptions, AppParts } from '../../src/createApp.js';
import type { TransportStats } from '../../src/ops/metrics.js';
import { MemoryTransport } from '../../src/runtime/MemoryTransport.js';
import { startTestApp, type TestApp } from '../support/testApp.js';
import { opsProbeModule, probeControl } from './support/opsProbe.js';

/** The value of one sample line, e.g. sample(text, 'paybus_dead_letters{subscriber="x"}'); undefined when absent. */
export function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  let t: TestApp;
  const control = probeControl();
  afterEach(async () => t && (await t.stop()));

  async function start(options: AppOptions = {}) {
    t = await startTestApp({ MODULES: 'users', RETRY_ATTEMPTS: '3' }, { extraModules: [opsProbeModule(control)], ...options });
  }
  const createUser = (name: string) => t.http.post('/users').send({ email: `${randomUUID()}@metrics.test`, name }).expect(201);
  const metrics = async () => (await t.http.get('/metrics').expect(200)).text;

  it('counts published events by type, handling latency, retries, dead letters and the outbox', async () => {
    await start();
    await createUser('ann');
    await createUser('flaky one');
    await createUser('poison pill');
    await t.settle();
    const text = await metrics();
    // Three users, and the chain reaction adds two user.updated for each.
    expect(sample(text, 'paybus_events_published_total{type="user.created"}')).to.equal(3);
    expect(sample(text, 'paybus_events_published_total{type="user.updated"}')).to.equal(6);
    expect(sample(text, 'paybus_event_handling_seconds_count{subscriber="opsprobe.chain",type="user.created"}')).to.equal(3);
    expect(sample(text, 'paybus_event_handling_seconds_count{subscriber="opsprobe.flaky",type="user.created"}')).to.equal(2);
    // flaky: one failed attempt; poison: two failed attempts before the third, last one.
    expect(sample(text, 'paybus_handler_retries_total{subscriber="opsprobe.flaky"}')).to.equal(3);
    expect(sample(text, 'paybus_dead_letters{subscriber="opsprobe.flaky"}')).to.equal(1);
    expect(sample(text, 'paybus_dead_letters{subscriber="opsprobe.chain"}')).to.equal(0);
    expect(sample(text, 'paybus_outbox_pending')).to.equal(0);
    expect(sample(text, 'paybus_outbox_relayed_total')).to.equal(9);
    expect(text).to.match(/^# TYPE paybus_event_handling_seconds histogram$/m);
  });

  it('labels HTTP requests by route pattern and status, never by raw path', async () => {
    await start();
    const user = (await createUser('ann')).body as { id: string };
    await t.http.get(`/users/${user.id}`).expect(200);
    await t.http.get(`/users/${randomUUID()}`).expect(404);
    await t.http.get('/no/such/route').expect(404);
    await t.http.post('/users').set('content-type', 'application/json').send('{not json').expect(400);
    const text = await metrics();
    expect(sample(text, 'paybus_http_requests_total{method="GET",route="/users/:id",status="200"}')).to.equal(1);
    expect(sample(text, 'paybus_http_requests_total{method="GET",route="/users/:id",status="404"}')).to.equal(1);
    expect(sample(text, 'paybus_http_requests_total{method="GET",route="(unmatched)",status="404"}')).to.equal(1);
    expect(sample(text, 'paybus_http_requests_total{method="POST",route="(unmatched)",status="400"}')).to.equal(1);
    expect(sample(text, 'paybus_http_request_duration_seconds_count{method="POST",route="/users",status="201"}')).to.equal(1);
    expect(text).not.to.include(user.id);
  });

  it('serves the default Node process metrics as Prometheus text, and no broker metrics in memory mode', async () => {
    await start();
    const res = await t.http.get('/metrics').expect(200);
    expect(res.headers['content-type']).to.match(/^text\/plain; version=0\.0\.4/);
    expect(res.text).to.match(/^process_cpu_user_seconds_total \d/m);
    expect(res.text).to.match(/^nodejs_heap_size_used_bytes \d/m);
    expect(res.text).not.to.include('paybus_broker_connected');
    expect(res.text).not.to.include('paybus_queue_messages');
  });

  it('keeps each app its own registry: a second app starts from zero', async () => {
    await start();
    await createUser('ann');
    const first = t;
    await start();
    try {
      expect(sample(await metrics(), 'paybus_events_published_total{type="user.created"}')).to.equal(undefined);
    } finally {
      await first.stop();
    }
  });

  it('lowers the dead-letter gauge once a retry succeeds', async () => {
    await start();
    control.poisonFails = true;
    await createUser('poison again');
    await t.settle();
    expect(sample(await metrics(), 'paybus_dead_letters{subscriber="opsprobe.flaky"}')).to.equal(1);
    control.poisonFails = false;
    await t.app.processor.retryDeadLetter((await t.app.deadLetters.find())[0]!.id);
    expect(sample(await metrics(), 'paybus_dead_letters{subscriber="opsprobe.flaky"}')).to.equal(0);
    control.poisonFails = true;
  });

  it('reads broker gauges from a transport that reports stats()', async () => {
    const stats: TransportStats = {
      kind: 'rabbitmq',
      connected: true,
      relayedTotal: 0,
      failedDeliveries: 0,
      queues: async () => [{ queue: 'paybus.users', messages: 7, consumers: 2 }],
    };
    // The memory transport delivers for real; stats() is the interface the broker transport implements.
    const transport = ({ bus, store, ledger, outbox, host, log, storage }: AppParts) =>
      Object.assign(new MemoryTransport(bus, { store, ledger, outbox, commit: host.commit.bind(host), log, feed: { useBus: storage.engine === 'sqlite' } }), { stats: () => stats });
    await start({ transport });
    stats.relayedTotal = 12;
    stats.failedDeliveries = 3;
    let text = await metrics();
    expect(sample(text, 'paybus_broker_connected')).to.equal(1);
    expect(sample(text, 'paybus_queue_messages{queue="paybus.users"}')).to.equal(7);
    expect(sample(text, 'paybus_queue_consumers{queue="paybus.users"}')).to.equal(2);
    expect(sample(text, 'paybus_outbox_relayed_total')).to.equal(12);
    expect(sample(text, 'paybus_broker_failed_deliveries_total')).to.equal(3);
    stats.connected = false;
    stats.relayedTotal = 15;
    text = await metrics();
    expect(sample(text, 'paybus_broker_connected')).to.equal(0);
    expect(sample(text, 'paybus_outbox_relayed_total')).to.equal(15);
    const data = (await t.http.get('/dashboard/data').expect(200)).body;
    expect(data.broker).to.include({ mode: 'rabbitmq', connected: false });
    expect(data.alerts.map((a: { message: string }) => a.message).join('\n')).to.match(/RabbitMQ is not connected/);
  });
});
