// host.commit(fn, { grouped: true }): on SQLite the commits asked for in one turn of the event loop share one
// transaction, each in its own savepoint, and each promise settles only once that transaction is durable.
// PostgreSQL ignores the flag (each commits on its own connection): the tests of one shared transaction say SQLite.
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createUserCreatedEvent } from '../../src/events/catalog.js';
import type { StoredEvent } from '../../src/events/envelope.js';
import type { UnitOfWork } from '../../src/runtime/module.js';
import { openStorage } from '../../src/storage/openStorage.js';
import type { Storage } from '../../src/storage/Storage.js';
import { EventStore } from '../../src/store/EventStore.js';
import { startTestApp, type TestApp } from '../support/testApp.js';
import { onPostgres } from '../support/testStorage.js';

const userEvent = () => createUserCreatedEvent(randomUUID(), `${randomUUID()}@group.test`, 'G', null);
const ids = (events: readonly { id: string }[]) => events.map((e) => e.id);

describe('grouped commits', () => {
  let t: TestApp;
  /** The events of each commit, as the commit listeners heard them, in the order they heard them. */
  let commits: string[][];
  /** A second storage on the same database: another connection, as another process would have. */
  let other: Storage | undefined;
  beforeEach(async () => {
    t = await startTestApp({ MODULES: '' });
    commits = [];
    t.app.host.commitListeners.push((events: readonly StoredEvent[]) => void commits.push(ids(events)));
  });
  afterEach(async () => {
    await other?.close();
    other = undefined;
    await t.stop();
  });

  const grouped = <T>(fn: (uow: UnitOfWork) => Promise<T>) => t.app.host.commit(fn, { grouped: true });
  const appendOne = (event: ReturnType<typeof userEvent>) => grouped(async (uow) => (await uow.append([event], { expectedVersion: 0 })).length);

  it('undoes a grouped commit that throws alone: the others commit, and each one’s events go out after COMMIT, in order', async () => {
    const [a, b, c] = [userEvent(), userEvent(), userEvent()];
    const results = await Promise.allSettled([
      appendOne(a),
      grouped(async (uow) => {
        await uow.append([b], { expectedVersion: 0 });
        throw new Error('refused after its append');
      }),
      appendOne(c),
    ]);
    expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).to.equal('refused after its append');
    expect(await t.app.store.getById(b.id)).to.equal(undefined);
    const logged = ids(await t.app.store.readAll());
    expect([...logged].sort()).to.deep.equal([a.id, c.id].sort());
    expect((await t.app.storage.all<{ event_id: string }>('SELECT event_id FROM outbox ORDER BY id')).map((r) => r.event_id)).to.deep.equal(logged);
    // Each kept commit's events went out once, after its COMMIT, in commit order (the order asked for: see below).
    expect(commits).to.deep.equal(logged.map((id) => [id]));
  });

  it('settles only once the commit is durable: another connection already reads it', async () => {
    const event = userEvent();
    await appendOne(event);
    other = await openStorage(t.app.config, () => {});
    expect(Number(await other.value('SELECT COUNT(*) FROM events WHERE id = ?', [event.id]))).to.equal(1);
  });

  it('runs each one once even when handing on the events fails after COMMIT', async () => {
    t.app.host.commitListeners.push(() => {
      throw new Error('a listener that fails');
    });
    let runs = 0;
    const events = [userEvent(), userEvent()];
    const results = await Promise.all(
      events.map((e) =>
        grouped(async (uow) => {
          runs++;
          return (await uow.append([e], { expectedVersion: 0 })).length;
        }),
      ),
    );
    expect(results).to.deep.equal([1, 1]);
    expect(runs).to.equal(2);
    expect(commits).to.deep.equal(ids(await t.app.store.readAll()).map((id) => [id]));
  });

  it('commits what is asked for as the app stops, before the database closes', async () => {
    await t.app.host.stop(); // delivery is over: what follows is between the commit and the storage
    const event = userEvent();
    const queued = appendOne(event).then(
      (appended) => `committed ${appended}`,
      (error: Error) => `failed: ${error.message}`,
    );
    const stopped = t.app.stop().then(() => 'still pending once the database has closed');
    expect(await Promise.race([queued, stopped])).to.equal('committed 1');
    await stopped;
    other = await openStorage(t.app.config, () => {});
    expect((await new EventStore(other).getById(event.id))?.id).to.equal(event.id);
  });

  // The rule that replaced "a grouped commit inside a commit is refused": never open a transaction inside a
  // transaction (on SQLite it would wait for ever); work that must be part of the caller's goes in a savepoint.
  it('keeps work nested in a commit inside the caller’s transaction through uow.savepoint', async () => {
    const [kept, undone] = [userEvent(), userEvent()];
    await grouped(async (uow) => {
      await uow.savepoint((inner) => inner.append([kept], { expectedVersion: 0 }));
      expect(commits, 'nothing goes out before the caller commits').to.deep.equal([]);
    });
    const failed = await grouped(async (uow) => {
      await uow.savepoint((inner) => inner.append([undone], { expectedVersion: 0 }));
      throw new Error('the caller fails after its savepoint');
    }).then(
      () => 'committed',
      (error: Error) => error.message,
    );
    expect(failed).to.equal('the caller fails after its savepoint');
    expect(commits).to.deep.equal([[kept.id]]);
    expect(await t.app.store.getById(undone.id)).to.equal(undefined);
  });

  describe('on SQLite: one transaction a turn', function () {
    before(function () {
      if (onPostgres) this.skip();
    });

    it('shares one transaction among the grouped commits of a turn: none is visible elsewhere, nor goes out, before the last has run; then each goes out in the order asked for', async () => {
      other = await openStorage(t.app.config, () => {});
      const [a, b, c] = [userEvent(), userEvent(), userEvent()];
      const seenByLast: { elsewhere: number; heard: string[][] }[] = [];
      await Promise.all([
        appendOne(a),
        appendOne(b),
        grouped(async (uow) => {
          seenByLast.push({ elsewhere: Number(await other!.value('SELECT COUNT(*) FROM events')), heard: [...commits] });
          return (await uow.append([c], { expectedVersion: 0 })).length;
        }),
      ]);
      expect(seenByLast).to.deep.equal([{ elsewhere: 0, heard: [] }]);
      expect(commits).to.deep.equal([[a.id], [b.id], [c.id]]);
      expect(Number(await other.value('SELECT COUNT(*) FROM events'))).to.equal(3);
    });

    it('when SQLite ends the group’s transaction, the others commit on their own and only the cause is rejected', async () => {
      await t.app.storage.transaction((tx) =>
        tx.exec(`CREATE TABLE group_rows (n INTEGER NOT NULL);
                 CREATE TRIGGER group_refuse BEFORE INSERT ON group_rows WHEN NEW.n = 2 BEGIN SELECT RAISE(ROLLBACK, 'refused by trigger'); END;`),
      );
      const events = [userEvent(), userEvent(), userEvent()];
      const results = await Promise.allSettled(
        [1, 2, 3].map((n) =>
          grouped(async (uow) => {
            await uow.append([events[n - 1]!], { expectedVersion: 0 });
            return uow.tx.run('INSERT INTO group_rows (n) VALUES (?)', [n]);
          }),
        ),
      );
      expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
      expect((results[1] as PromiseRejectedResult).reason.message).to.equal('refused by trigger');
      expect(await t.app.storage.all('SELECT n FROM group_rows ORDER BY n')).to.deep.equal([{ n: 1 }, { n: 3 }]);
      // The events of the group's rolled-back attempt never went out: each survivor's once, after its own COMMIT.
      expect(commits).to.deep.equal([[events[0]!.id], [events[2]!.id]]);
      expect(ids(await t.app.store.readAll())).to.deep.equal([events[0]!.id, events[2]!.id]);
    });
  });
});
