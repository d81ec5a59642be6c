import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createApp } from '../../src/createApp.js';
import { createUserCreatedEvent } from '../../src/events/catalog.js';
import type { ModuleDefinition } from '../../src/runtime/module.js';
import { startTestApp, type TestApp } from '../support/testApp.js';

const count = async (t: TestApp, table: 'events' | 'outbox' | 'users_users') => Number(await t.app.storage.value(`SELECT COUNT(*) FROM ${table}`));

/** What a promise rejected with (it must reject). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: Error) => error,
  );
}

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
        apply: async (event) => {
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
    await t.app.host.commit(async (uow) => {
      await uow.append([createUserCreatedEvent(randomUUID(), 'bob@x.test', 'Bob', null)]);
      seenInsideCommit.push(delivered);
    });
    expect(seenInsideCommit).to.deep.equal([1]);
    expect(delivered).to.equal(2);
    await t.settle(); // rows are marked published once per turn of the event loop
    const rows = await t.app.storage.all<{ event_id: string; published_at: string | null }>('SELECT event_id, published_at FROM outbox ORDER BY id');
    expect(rows).to.have.length(2);
    expect(rows.every((r) => r.published_at !== null)).to.equal(true);
    expect(await t.app.store.getEvents(res.body.id)).to.have.length(1);
  });

  it('rolls back the read model, the event and the outbox row when the command fails after appending', async () => {
    t = await startTestApp({ MODULES: 'users' });
    let delivered = 0;
    t.app.bus.subscribe('*', () => void delivered++);
    const error = await rejection(
      t.app.host.commit(async (uow) => {
        await uow.append([createUserCreatedEvent(randomUUID(), 'x@x.test', 'X', null)]);
        throw new Error('rule broken after append');
      }),
    );
    expect(error.message).to.equal('rule broken after append');
    expect(await count(t, 'events')).to.equal(0);
    expect(await count(t, 'outbox')).to.equal(0);
    expect(await count(t, 'users_users')).to.equal(0);
    expect(delivered).to.equal(0);
  });

  it('rolls the whole command back when a projection throws, with an error naming the projection', async () => {
    t = await startTestApp({ MODULES: 'users' }, { extraModules: [pickyProjection] });
    const res = await t.http.post('/users').send({ email: 'r@x.test', name: 'reject' });
    expect(res.status).to.equal(500);
    expect(res.type).to.equal('application/problem+json');
    expect(await count(t, 'events')).to.equal(0);
    expect(await count(t, 'users_users')).to.equal(0);
    const error = await rejection(t.app.host.commit((uow) => uow.append([createUserCreatedEvent(randomUUID(), 'r2@x.test', 'reject', null)])));
    expect(error.message).to.match(/projection picky\.projection failed on user\.created/);
    await t.http.post('/users').send({ email: 'ok@x.test', name: 'fine' }).expect(201);
  });

  it('publishes rows a crash left unpublished when it starts again', async () => {
    t = await startTestApp({ MODULES: 'users' });
    await t.http.post('/users').send({ email: 'a@x.test', name: 'A' }).expect(201);
    await t.settle();
    // Simulate a crash between the commit and the publish.
    await t.app.storage.run('UPDATE outbox SET published_at = NULL');
    expect((await t.app.outbox.status()).pending).to.equal(1);
    const config = t.app.config;
    await t.app.stop();
    const again = await createApp(config);
    try {
      let delivered = 0;
      again.bus.subscribe('user.created', () => void delivered++);
      await again.start();
      expect(delivered).to.equal(1);
      expect((await again.outbox.status()).pending).to.equal(0);
    } finally {
      await again.stop();
    }
  });
});
