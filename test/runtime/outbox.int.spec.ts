import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createUserCreatedEvent } from '../../src/events/catalog.js';
import type { ModuleDefinition } from '../../src/runtime/module.js';
import { startTestApp, type TestApp } from '../support/testApp.js';

const count = (t: TestApp, table: string) => t.app.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number };

/** A projection that refuses users named "reject", to make a command fail inside its transaction. */
const pickyProjection: ModuleDefinition = {
  name: 'analytics',
  migrations: [],
  create: () => ({
    projections: [
      {
        name: 'picky.projection',
        types: ['user.created'],
        tables: [],
        apply: (event) => {
          if (event.payload.name === 'reject') throw new Error('picky says no');
        },
      },
    ],
  }),
};

describe('transactional outbox (memory mode)', () => {
  let t: TestApp;
  afterEach(async () => t && (await t.stop()));

  it('commits the read model, the event and its outbox row together, and delivers only after the commit', async () => {
    t = await startTestApp({ MODULES: 'users' });
    const seenInsideCommit: number[] = [];
    let delivered = 0;
    t.app.bus.subscribe('user.created', () => void delivered++);
    const res = await t.http.post('/users').send({ email: 'ada@x.test', name: 'Ada' }).expect(201);
    expect(delivered).to.equal(1);
    t.app.host.commit((uow) => {
      uow.append([createUserCreatedEvent(randomUUID(), 'bob@x.test', 'Bob', null)]);
      seenInsideCommit.push(delivered);
    });
    expect(seenInsideCommit).to.deep.equal([1]);
    expect(delivered).to.equal(2);
    await t.settle(); // rows are marked published once per turn of the event loop
    const rows = t.app.db.prepare('SELECT event_id, published_at FROM outbox ORDER BY id').all() as { event_id: string; published_at: string | null }[];
    expect(rows).to.have.length(2);
    expect(rows.every((r) => r.published_at !== null)).to.equal(true);
    expect(t.app.store.getEvents(res.body.id)).to.have.length(1);
  });

  it('rolls back the read model, the event and the outbox row when the command fails after appending', async () => {
    t = await startTestApp({ MODULES: 'users' });
    let delivered = 0;
    t.app.bus.subscribe('*', () => void delivered++);
    expect(() =>
      t.app.host.commit((uow) => {
        uow.append([createUserCreatedEvent(randomUUID(), 'x@x.test', 'X', null)]);
        throw new Error('rule broken after append');
      }),
    ).to.throw('rule broken after append');
    expect(count(t, 'events').n).to.equal(0);
    expect(count(t, 'outbox').n).to.equal(0);
    expect(count(t, 'users_users').n).to.equal(0);
    expect(delivered).to.equal(0);
  });

  it('rolls the whole command back when a projection throws, with an error naming the projection', async () => {
    t = await startTestApp({ MODULES: 'users' }, { extraModules: [pickyProjection] });
    const res = await t.http.post('/users').send({ email: 'r@x.test', name: 'reject' });
    expect(res.status).to.equal(500);
    expect(res.type).to.equal('application/problem+json');
    expect(count(t, 'events').n).to.equal(0);
    expect(count(t, 'users_users').n).to.equal(0);
    expect(() => t.app.host.commit((uow) => uow.append([createUserCreatedEvent(randomUUID(), 'r2@x.test', 'reject', null)]))).to.throw(
      /projection picky\.projection failed on user\.created/,
    );
    await t.http.post('/users').send({ email: 'ok@x.test', name: 'fine' }).expect(201);
  });

  it('publishes rows a crash left unpublished when it starts again', async () => {
    t = await startTestApp({ MODULES: 'users' });
    await t.http.post('/users').send({ email: 'a@x.test', name: 'A' }).expect(201);
    // Simulate a crash between the commit and the publish.
    t.app.db.prepare('UPDATE outbox SET published_at = NULL').run();
    expect(t.app.outbox.status().pending).to.equal(1);
    const config = t.app.config;
    await t.app.stop();
    const { createApp } = await import('../../src/createApp.js');
    const again = createApp(config);
    let delivered = 0;
    again.bus.subscribe('user.created', () => void delivered++);
    await again.start();
    expect(delivered).to.equal(1);
    expect(again.outbox.status().pending).to.equal(0);
    await again.stop();
  });
});
