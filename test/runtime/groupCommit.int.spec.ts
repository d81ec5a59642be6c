// ModuleHost.commitGrouped: the commits asked for in one turn share a transaction, each in its own savepoint, and
// each promise settles only once the group is durable.
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { createUserCreatedEvent } from '../../src/events/catalog.js';
import type { StoredEvent } from '../../src/events/envelope.js';
import { startTestApp, type TestApp } from '../support/testApp.js';

const userEvent = () => createUserCreatedEvent(randomUUID(), `${randomUUID()}@group.test`, 'G', null);

describe('grouped commits', () => {
  let t: TestApp;
  let commits: StoredEvent[][];
  beforeEach(async () => {
    t = await startTestApp({ MODULES: '' });
    commits = [];
    t.app.host.commitListeners.push((events) => void commits.push([...events]));
  });
  afterEach(() => t.stop());

  it('commits a turn’s grouped commits in one transaction; one that throws is undone alone and rejected', async () => {
    const [a, b, c] = [userEvent(), userEvent(), userEvent()];
    const results = await Promise.allSettled([
      t.app.host.commitGrouped((uow) => uow.append([a], { expectedVersion: 0 }).length),
      t.app.host.commitGrouped((uow) => {
        uow.append([b], { expectedVersion: 0 });
        throw new Error('refused after its append');
      }),
      t.app.host.commitGrouped((uow) => uow.append([c], { expectedVersion: 0 }).length),
    ]);
    expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason.message).to.equal('refused after its append');
    // One transaction: the commit listeners heard once, with both kept events and not the undone one.
    expect(commits.map((events) => events.map((e) => e.id))).to.deep.equal([[a.id, c.id]]);
    expect(t.app.store.getById(b.id)).to.equal(undefined);
  });

  it('settles only once the group is durable: another connection already reads it', async () => {
    const event = userEvent();
    await t.app.host.commitGrouped((uow) => uow.append([event], { expectedVersion: 0 }));
    const other = new Database(t.app.config.databasePath, { readonly: true });
    try {
      expect(other.prepare('SELECT COUNT(*) FROM events WHERE id = ?').pluck().get(event.id)).to.equal(1);
    } finally {
      other.close();
    }
  });

  it('when SQLite ends the group’s transaction, the others commit on their own and only the cause is rejected', async () => {
    t.app.db.exec(`CREATE TABLE group_rows (n INTEGER NOT NULL);
                   CREATE TRIGGER group_refuse BEFORE INSERT ON group_rows WHEN NEW.n = 2 BEGIN SELECT RAISE(ROLLBACK, 'refused by trigger'); END;`);
    const insert = t.app.db.prepare('INSERT INTO group_rows (n) VALUES (?)');
    const results = await Promise.allSettled([1, 2, 3].map((n) => t.app.host.commitGrouped(() => insert.run(n).changes)));
    expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
    expect(t.app.db.prepare('SELECT n FROM group_rows ORDER BY n').pluck().all()).to.deep.equal([1, 3]);
  });

  it('runs each job once even when handing on the events fails after COMMIT', async () => {
    t.app.host.commitListeners.push(() => {
      throw new Error('a listener that fails');
    });
    let runs = 0;
    const results = await Promise.all(
      [userEvent(), userEvent()].map((e) =>
        t.app.host.commitGrouped((uow) => {
          runs++;
          return uow.append([e], { expectedVersion: 0 }).length;
        }),
      ),
    );
    expect(results).to.deep.equal([1, 1]);
    expect(runs).to.equal(2);
  });

  it('refuses a grouped commit inside a commit, where it could not be part of the caller’s transaction', async () => {
    let refused: Promise<unknown> | undefined;
    t.app.host.commit(() => void (refused = t.app.host.commitGrouped(() => 1)));
    const outcome = await refused!.then(
      () => 'resolved',
      (error: Error) => error.message,
    );
    expect(outcome).to.match(/inside a commit/);
  });

  it('commits what is queued when the app stops, before the database closes', async () => {
    const event = userEvent();
    const queued = t.app.host.commitGrouped((uow) => uow.append([event], { expectedVersion: 0 }).length);
    await t.app.host.stop();
    expect(await queued).to.equal(1);
    expect(t.app.store.getById(event.id)?.id).to.equal(event.id);
  });
});
