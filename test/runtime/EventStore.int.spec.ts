import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { runMigrations } from '../../src/db/migrate.js';
import { type Db, openDatabase } from '../../src/db/openDatabase.js';
import { ConcurrencyError } from '../../src/errors.js';
import { createUserCreatedEvent, createUserUpdatedEvent, type DomainEvent } from '../../src/events/catalog.js';
import { EventStore } from '../../src/store/EventStore.js';
import { storeMigrations } from '../../src/store/tables.js';
import { tempDir } from '../support/testApp.js';

const run = promisify(execFile);

describe('EventStore (real SQLite file)', () => {
  let dir: string;
  let db: Db;
  let store: EventStore;

  beforeEach(() => {
    dir = tempDir();
    db = openDatabase(path.join(dir, 'store.db'));
    runMigrations(db, 'store', storeMigrations);
    store = new EventStore(db);
  });
  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const created = (id = randomUUID()) => createUserCreatedEvent(id, `${id}@x.test`, 'Ada', null, { version: 1 });

  it('gives each stream versions without gaps and the log strictly growing positions', () => {
    const a = randomUUID();
    const b = randomUUID();
    const stored = [
      ...store.append([created(a)], { expectedVersion: 0 }),
      ...store.append([created(b)]),
      ...store.append([createUserUpdatedEvent(a, { name: 'Ada L' }, { version: 2 })], { expectedVersion: 1 }),
    ];
    expect(stored.map((e) => e.position)).to.deep.equal([1, 2, 3]);
    expect(store.getEvents(a).map((e) => e.version)).to.deep.equal([1, 2]);
    expect(store.currentVersion(a)).to.equal(2);
    expect(store.headPosition()).to.equal(3);
    expect(store.getEvents(a, { fromVersion: 2 }).map((e) => e.type)).to.deep.equal(['user.updated']);
  });

  it('refuses a wrong expected version with ConcurrencyError and writes nothing', () => {
    const a = randomUUID();
    store.append([created(a)]);
    expect(() => store.append([createUserUpdatedEvent(a, { name: 'B' }, { version: 2 })], { expectedVersion: 0 })).to.throw(ConcurrencyError);
    expect(() => store.append([createUserUpdatedEvent(a, { name: 'B' }, { version: 5 })])).to.throw(ConcurrencyError);
    expect(store.getEvents(a)).to.have.length(1);
  });

  it('appends all or nothing', () => {
    const a = randomUUID();
    const good = created(a);
    const gap = createUserUpdatedEvent(a, { name: 'B' }, { version: 3 });
    expect(() => store.append([good, gap])).to.throw(ConcurrencyError);
    expect(store.headPosition()).to.equal(0);
  });

  it('treats an event id it already stored as a no-op', () => {
    const event = created();
    expect(store.append([event])).to.have.length(1);
    expect(store.append([event])).to.deep.equal([]);
    expect(store.append([event], { expectedVersion: 0 })).to.deep.equal([]);
    expect(store.readAll()).to.have.length(1);
  });

  it('reads the log by position, with after, limit and types', () => {
    const a = randomUUID();
    store.append([created(a)]);
    store.append([created()]);
    store.append([createUserUpdatedEvent(a, { name: 'C' }, { version: 2 })]);
    expect(store.readAll({ after: 1 }).map((e) => e.position)).to.deep.equal([2, 3]);
    expect(store.readAll({ limit: 1 }).map((e) => e.position)).to.deep.equal([1]);
    expect(store.readAll({ types: ['user.updated'] }).map((e) => e.position)).to.deep.equal([3]);
    expect(store.readAll({ aggregateId: a }).map((e) => e.position)).to.deep.equal([1, 3]);
  });

  it('replay rebuilds the state the events describe', () => {
    const a = randomUUID();
    store.append([createUserCreatedEvent(a, 'ada@x.test', 'Ada', null, { version: 1 })]);
    store.append([createUserUpdatedEvent(a, { name: 'Ada L', phone: '+15551234567' }, { version: 2 })]);
    store.append([createUserUpdatedEvent(a, { email: 'ada@y.test' }, { version: 3 })]);
    type State = Record<string, unknown> & { version: number };
    const evolve = (s: State, e: DomainEvent): State =>
      e.type === 'user.created' ? { ...e.payload, version: e.version } : { ...s, ...(e.payload as { changes: object }).changes, version: e.version };
    const state = store.replay<State>(a, (s, e) => evolve(s, e as unknown as DomainEvent), { version: 0 });
    expect(state).to.deep.equal({ userId: a, email: 'ada@y.test', name: 'Ada L', phone: '+15551234567', version: 3 });
  });

  it('lets exactly one of several processes racing on one expected version win', async function () {
    this.timeout(60000);
    db.close();
    const file = path.join(dir, 'store.db');
    const aggregateId = randomUUID();
    const startAt = Date.now() + 2500;
    const runs = await Promise.all(
      [1, 2, 3, 4].map((who) =>
        run(process.execPath, ['--import', 'tsx', 'test/support/appendChild.ts', file, aggregateId, String(startAt), `p${who}`]),
      ),
    );
    const outcomes = runs.map((r) => r.stdout.trim()).sort();
    expect(outcomes).to.deep.equal(['conflict', 'conflict', 'conflict', 'won']);
    db = openDatabase(file);
    store = new EventStore(db);
    expect(store.getEvents(aggregateId)).to.have.length(1);
  });
});
