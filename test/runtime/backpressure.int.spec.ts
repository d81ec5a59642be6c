// An overload costs lag, not memory: a memory-mode subscriber holds at most SUBSCRIBER_MAILBOX events and reads on
// from the log later; its lag shows on /metrics; with SHED_LAG_EVENTS set, POSTs get 503 while it is behind.
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createUserCreatedEvent } from '../../src/events/catalog.js';
import type { MemoryTransport } from '../../src/runtime/MemoryTransport.js';
import { startTestApp, type TestApp } from '../support/testApp.js';
import { probeEffects, probeModule } from '../support/testModule.js';

const users = (n: number) => Array.from({ length: n }, (_, i) => createUserCreatedEvent(randomUUID(), `${randomUUID()}@x.test`, `u${i}`, null));

/** A gate the probe reaction waits at until the test opens it. */
function gate(): { wait: Promise<void>; open(): void } {
  let open!: () => void;
  return { wait: new Promise<void>((resolve) => (open = resolve)), open: () => open() };
}

async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

const lagOnMetrics = async (t: TestApp) => {
  const text = (await t.http.get('/metrics').expect(200)).text;
  return Number(/^paybus_subscriber_lag_events\{subscriber="probe\.reaction"\} (\d+)$/m.exec(text)?.[1]);
};

describe('a subscriber that cannot keep up', () => {
  let t: TestApp;
  afterEach(() => t.stop());

  it('holds at most SUBSCRIBER_MAILBOX events in memory, shows its lag, and handles every event once it can', async () => {
    const g = gate();
    t = await startTestApp({ MODULES: 'users', SUBSCRIBER_MAILBOX: '10' }, { extraModules: [probeModule(['user.created'], () => g.wait)] });
    const feed = (t.app.transport as MemoryTransport).feeds.find((f) => f.subscriber.name === 'probe.reaction')!;
    const events = users(100);
    try {
      await t.app.host.commit((uow) => uow.append(events));
      // Once the feed has taken the first events (on PostgreSQL it reads them from the log), watch it a while.
      while (feed.backlog() === 0) await turns(1);
      let most = 0;
      for (let i = 0; i < 200; i++) {
        most = Math.max(most, feed.backlog());
        await turns(1);
      }
      expect(most, 'events held in memory').to.be.within(1, 10);
      expect(await lagOnMetrics(t)).to.equal(100);
    } finally {
      g.open();
    }
    await t.settle();
    expect(await probeEffects(t.app.storage)).to.have.length(100);
    // The gauge reads the lag at most once a second.
    while ((await lagOnMetrics(t)) !== 0) await new Promise((resolve) => setTimeout(resolve, 100));
  });

  it('with SHED_LAG_EVENTS, answers POSTs with 503 and Retry-After while it is further behind, and serves again once caught up', async () => {
    const g = gate();
    t = await startTestApp({ MODULES: 'users', SHED_LAG_EVENTS: '5' }, { extraModules: [probeModule(['user.created'], () => g.wait)] });
    try {
      await t.app.host.commit((uow) => uow.append(users(20)));
      // The lag is read in the background once a second: wait until a POST sees it.
      let refused;
      for (;;) {
        refused = await t.http.post('/users').send({ email: `${randomUUID()}@x.test`, name: 'Late' });
        if (refused.status === 503) break;
        expect(refused.status, 'a POST before the lag was read').to.equal(201);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(refused.headers['retry-after']).to.equal('5');
      expect(refused.type).to.equal('application/problem+json');
      expect(refused.body.detail).to.match(/probe\.reaction is \d+ events behind/);
      await t.http.get('/events').expect(200); // reads go on
    } finally {
      g.open();
    }
    await t.settle();
    for (;;) {
      const res = await t.http.post('/users').send({ email: `${randomUUID()}@x.test`, name: 'Again' });
      if (res.status === 201) break;
      expect(res.status).to.equal(503);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
});
