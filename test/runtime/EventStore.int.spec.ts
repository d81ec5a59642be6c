// The event store on a real database: a SQLite file, or a PostgreSQL schema with TEST_STORAGE=postgres.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { ConcurrencyError } from '../../src/errors.js';
import { createUserCreatedEvent, createUserUpdatedEvent, type DomainEvent } from '../../src/events/catalog.js';
import type { EventEnvelope } from '../../src/events/envelope.js';
import { runMigrations } from '../../src/storage/migrate.js';
import { openStorage } from '../../src/storage/openStorage.js';
import type { Storage } from '../../src/storage/Storage.js';
import { type AppendOptions, EventStore } from '../../src/store/EventStore.js';
import { storeMigrations } from '../../src/store/tables.js';
import { tempDir, testConfig } from '../support/testApp.js';
import { dropSchema, onPostgres, schemaFor } from '../support/testStorage.js';

const run = promisify(execFile);

/** The store's database for the test rooted in `dir`, as every process given `dir` reaches it (see appendChild.ts). */
const openIn = (dir: string) => openStorage(testConfig({}, dir), () => {});

describe('EventStore (real database)', () => {
  let dir: string;
  let storage: Storage;
  let store: EventStore;

  beforeEach(async () => {
    dir = tempDir();
    storage = await openIn(dir);
    await runMigrations(storage, [{ owner: 'store', migrations: storeMigrations }]);
    store = new EventStore(storage);
  });
  afterEach(async () => {
    await storage.close();
    fs.rmSync(dir, { recursive: true, force: true });
    if (onPostgres) await dropSchema(schemaFor(dir));
  });

  const created = (id = randomUUID()) => createUserCreatedEvent(id, `${id}@x.test`, 'Ada', null, { version: 1 });
  const append = (events: EventEnvelope[], options?: AppendOptions) => storage.transaction((tx) => store.append(tx, events, options));
  const positions = async (events: Promise<{ position: number }[]>) => (await events).map((e) => e.position);

  it('gives each stream versions without gaps and the log strictly growing positions', async () => {
    const a = randomUUID();
    const b = randomUUID();
    const stored = [
      ...(await append([created(a)], { expectedVersion: 0 })),
      ...(await append([created(b)])),
      ...(await append([createUserUpdatedEvent(a, { name: 'Ada L' }, { version: 2 })], { expectedVersion: 1 })),
    ];
    expect(stored.map((e) => e.position)).to.deep.equal([1, 2, 3]);
    expect((await store.getEvents(a)).map((e) => e.version)).to.deep.equal([1, 2]);
    expect(await store.currentVersion(a)).to.equal(2);
    expect(await store.headPosition()).to.equal(3);
    expect((await store.getEvents(a, { fromVersion: 2 })).map((e) => e.type)).to.deep.equal(['user.updated']);
  });

  it('refuses a wrong expected version with ConcurrencyError and writes nothing', async () => {
    const a = randomUUID();
    await append([created(a)]);
    const rejection = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);
    expect(await rejection(append([createUserUpdatedEvent(a, { name: 'B' }, { version: 2 })], { expectedVersion: 0 }))).to.be.instanceOf(ConcurrencyError);
    expect(await rejection(append([createUserUpdatedEvent(a, { name: 'B' }, { version: 5 })]))).to.be.instanceOf(ConcurrencyError);
    expect(await store.getEvents(a)).to.have.length(1);
  });

  it('appends all or nothing', async () => {
    const a = randomUUID();
    const good = created(a);
    const gap = createUserUpdatedEvent(a, { name: 'B' }, { version: 3 });
    const error = await append([good, gap]).then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(ConcurrencyError);
    expect(await store.headPosition()).to.equal(0);
  });

  it('treats an event id it already stored as a no-op', async () => {
    const event = created();
    expect(await append([event])).to.have.length(1);
    expect(await append([event])).to.deep.equal([]);
    expect(await append([event], { expectedVersion: 0 })).to.deep.equal([]);
    expect(await store.readAll()).to.have.length(1);
  });

  it('stores a batch over several streams in the order given, each event under its own position', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const batch = [created(a), created(b), createUserUpdatedEvent(a, { name: 'A2' }, { version: 2 }), createUserUpdatedEvent(b, { name: 'B2' }, { version: 2 })];
    const stored = await append(batch);
    expect(stored.map((e) => [e.id, e.position])).to.deep.equal(batch.map((e, i) => [e.id, i + 1]));
    expect((await store.readAll()).map((e) => [e.id, e.aggregateId, e.version])).to.deep.equal(batch.map((e) => [e.id, e.aggregateId, e.version]));
  });

  it('when a retried batch is partly stored already, then it stores the rest and returns only those', async () => {
    const a = randomUUID();
    const first = created(a);
    const second = createUserUpdatedEvent(a, { name: 'B' }, { version: 2 });
    await append([first]);
    const stored = await append([first, second]);
    expect(stored.map((e) => [e.id, e.position])).to.deep.equal([[second.id, 2]]);
    expect((await store.getEvents(a)).map((e) => e.id)).to.deep.equal([first.id, second.id]);
  });

  it('reads the log by position, with after, limit, types and aggregate', async () => {
    const a = randomUUID();
    await append([created(a)]);
    await append([created()]);
    await append([createUserUpdatedEvent(a, { name: 'C' }, { version: 2 })]);
    expect(await positions(store.readAll({ after: 1 }))).to.deep.equal([2, 3]);
    expect(await positions(store.readAll({ limit: 1 }))).to.deep.equal([1]);
    expect(await positions(store.readAll({ types: ['user.updated'] }))).to.deep.equal([3]);
    expect(await positions(store.readAll({ aggregateId: a }))).to.deep.equal([1, 3]);
    expect(await positions(store.readAll({ aggregateId: a, types: ['user.created'] }))).to.deep.equal([1]);
  });

  it('replay rebuilds the state the events describe', async () => {
    const a = randomUUID();
    await append([createUserCreatedEvent(a, 'ada@x.test', 'Ada', null, { version: 1 })]);
    await append([createUserUpdatedEvent(a, { name: 'Ada L', phone: '+15551234567' }, { version: 2 })]);
    await append([createUserUpdatedEvent(a, { email: 'ada@y.test' }, { version: 3 })]);
    type State = Record<string, unknown> & { version: number };
    const evolve = (s: State, e: DomainEvent): State =>
      e.type === 'user.created' ? { ...e.payload, version: e.version } : { ...s, ...(e.payload as { changes: object }).changes, version: e.version };
    const state = await store.replay<State>(a, (s, e) => evolve(s, e as unknown as DomainEvent), { version: 0 });
    expect(state).to.deep.equal({ userId: a, email: 'ada@y.test', name: 'Ada L', phone: '+15551234567', version: 3 });
  });

  it('lets exactly one of several processes racing on one expected version win', async function () {
    this.timeout(60000);
    const aggregateId = randomUUID();
    const startAt = Date.now() + 2500;
    const runs = await Promise.all(
      [1, 2, 3, 4].map((who) => run(process.execPath, ['--import', 'tsx', 'test/support/appendChild.ts', dir, aggregateId, String(startAt), `p${who}`])),
    );
    const outcomes = runs.map((r) => r.stdout.trim()).sort();
    expect(outcomes).to.deep.equal(['conflict', 'conflict', 'conflict', 'won']);
    expect(await store.getEvents(aggregateId)).to.have.length(1);
  });
});
