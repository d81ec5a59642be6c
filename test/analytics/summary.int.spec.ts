import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createUserCreatedEvent } from '../../src/events/catalog.js';
import { startTestApp, type TestApp } from '../support/testApp.js';
import { countByType, eventLog, runScenario } from '../rebuild/scenario.js';

describe('GET /analytics/summary', () => {
  let t: TestApp;
  afterEach(async () => t && (await t.stop()));

  const summary = async () => {
    const res = await t.http.get('/analytics/summary');
    expect(res.status).to.equal(200);
    return res.body;
  };

  it('when the log is empty, then it answers zeros and null latencies', async () => {
    t = await startTestApp();
    expect(await summary()).to.deep.equal({ totalEvents: 0, byType: {}, byDay: {}, latencyMs: { p50: null, p95: null, p99: null } });
  });

  it('when a story has run, then its counts equal the event log by type and by day', async () => {
    t = await startTestApp();
    await runScenario(t);
    const log = await eventLog(t);
    const body = await summary();
    expect(log.length).to.be.greaterThan(10);
    expect(body.totalEvents).to.equal(log.length);
    expect(body.byType).to.deep.equal(countByType(log));
    expect(body.byDay).to.deep.equal(countByType(log.map((e) => ({ type: e.occurredAt.slice(0, 10) }))));
    const { p50, p95, p99 } = body.latencyMs;
    for (const p of [p50, p95, p99]) expect(p).to.be.a('number').and.at.least(0);
    expect(p50).to.be.at.most(p95);
    expect(p95).to.be.at.most(p99);
  });

  it('when an event is redelivered or appended twice, then it is counted once', async () => {
    t = await startTestApp();
    const event = createUserCreatedEvent(randomUUID(), 'once@example.com', 'Once', null);
    const [stored] = await t.app.host.commit((uow) => uow.append([event]));
    expect(await t.app.host.commit((uow) => uow.append([event]))).to.deep.equal([]);
    await t.settle();
    const before = await summary();
    expect(before.byType).to.deep.equal({ 'user.created': 1 });

    // Redelivery: straight to the subscriber (the broker's way) and through the bus again (a replayed publish).
    for (const name of ['analytics.counts', 'analytics.latency']) await t.app.host.subscribers.get(name)!.handle(stored!, 1);
    t.app.bus.publish(stored!);
    await t.settle();
    const after = await summary();
    expect(after.totalEvents).to.equal(1);
    expect(after.byType).to.deep.equal({ 'user.created': 1 });
    const samples = await t.app.storage.value('SELECT COUNT(*) FROM analytics_latency_samples');
    expect(samples).to.equal(1);
  });

  it('counts an event on the UTC day it occurred, not the day it was handled', async () => {
    t = await startTestApp();
    const leapNight = createUserCreatedEvent(randomUUID(), 'leap@example.com', 'Leap', null, { occurredAt: '2024-02-29T23:59:59.999Z' });
    await t.app.host.commit((uow) => uow.append([leapNight]));
    await t.settle();
    const body = await summary();
    expect(body.byDay).to.deep.equal({ '2024-02-29': 1 });
    // Occurred long ago, handled now: its wait is real and shows up as such.
    expect(body.latencyMs.p50).to.be.greaterThan(24 * 3600 * 1000);
  });
});
