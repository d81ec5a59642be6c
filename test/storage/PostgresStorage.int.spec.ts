// What only the PostgreSQL engine promises: how it opens, and several processes sharing one database.
import { inspect } from 'node:util';
import { expect } from 'chai';
import { type MigrationSet, runMigrations } from '../../src/storage/migrate.js';
import { PostgresStorage } from '../../src/storage/postgres/PostgresStorage.js';
import { storeMigrations } from '../../src/store/tables.js';
import { describeOnPostgres, type FreshSchema, freshSchema, schemaExists, someoneWaitsFor } from '../support/postgres.js';

function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  return { promise: new Promise<void>((resolve) => (open = resolve)), open: () => open() };
}

const probeMigrations: MigrationSet = {
  owner: 'probe',
  migrations: [
    { id: '001-applied', sql: 'CREATE TABLE applied (migration TEXT NOT NULL)' },
    { id: '002-first', sql: "INSERT INTO applied (migration) VALUES ('002')" },
    { id: '003-second', sql: "INSERT INTO applied (migration) VALUES ('003')" },
  ],
};

describeOnPostgres('PostgresStorage', () => {
  let schema: FreshSchema;
  const extraSchemas: FreshSchema[] = [];
  const opened: PostgresStorage[] = [];
  const open = async (url = schema.url) => opened[opened.push(await PostgresStorage.open({ url })) - 1]!;

  beforeEach(async () => {
    schema = await freshSchema();
  });
  afterEach(async () => {
    for (const storage of opened.splice(0)) await storage.close();
    for (const extra of [schema, ...extraSchemas.splice(0)]) await extra.drop();
  });

  it('when the URL sets search_path in its options, then every connection of the pool works in that schema', async () => {
    const storage = await open();
    expect(storage.schema).to.equal(schema.schema);
    expect(storage.description).to.match(new RegExp(`^PostgreSQL [^@ ]+ \\(schema ${schema.schema}\\)$`));
    const schemas = await Promise.all(Array.from({ length: 5 }, () => storage.value('SELECT current_schema()')));
    expect(schemas).to.deep.equal(Array(5).fill(schema.schema));
    expect(storage.pool.totalCount).to.be.greaterThan(1);
  });

  it('when the URL names a schema that does not exist, then open creates it', async () => {
    const missing = await freshSchema({ create: false });
    extraSchemas.push(missing);
    const storage = await open(missing.url);
    expect(storage.schema).to.equal(missing.schema);
    expect(await schemaExists(missing.schema)).to.equal(true);
  });

  it('when several processes open the same missing schema at once, then every one of them succeeds', async () => {
    for (let round = 0; round < 5; round++) {
      const missing = await freshSchema({ create: false });
      extraSchemas.push(missing);
      const outcomes = await Promise.allSettled(Array.from({ length: 8 }, () => open(missing.url)));
      expect(outcomes.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason))).to.deep.equal([]);
    }
  });

  it('when nothing listens on the port, then open fails with one clear error that never shows the password', async () => {
    const error = await PostgresStorage.open({ url: 'postgres://u:s3cretpw@127.0.0.1:1/x' }).then(
      () => expect.fail('open resolved'),
      (e: unknown) => e as Error,
    );
    expect(error.message).to.match(/^cannot use PostgreSQL 127\.0\.0\.1:1\/x: .*ECONNREFUSED/);
    expect(`${inspect(error, { depth: 5 })}\n${error.stack}`).not.to.include('s3cretpw');
  });

  it('when two processes ask withLock for the same name, then the second runs only after the first has finished', async () => {
    const [one, two] = [await open(), await open()];
    const log: string[] = [];
    const hold = gate();
    const entered = gate();
    const first = one.withLock('job', async () => { log.push('first in'); entered.open(); await hold.promise; log.push('first out'); });
    await entered.promise;
    const second = two.withLock('job', async () => void log.push('second in'));
    expect(await someoneWaitsFor(two.lockKey('job'), () => log.includes('second in'))).to.equal(true);
    hold.open();
    await Promise.all([first, second]);
    expect(log).to.deep.equal(['first in', 'first out', 'second in']);
  });

  it('when the pool has a single connection, then work inside withLock still gets it (migrations at start)', async () => {
    const storage = await PostgresStorage.open({ url: schema.url, poolSize: 1 });
    opened.push(storage);
    await runMigrations(storage, [probeMigrations]);
    expect(await storage.value('SELECT COUNT(*) FROM applied')).to.equal(2);
  });

  it('when two processes run the migrations at once on an empty schema, then both succeed and each migration applies once', async () => {
    const storages = await Promise.all([open(), open(), open()]);
    const sets = [{ owner: 'store', migrations: storeMigrations }, probeMigrations];
    await Promise.all(storages.map((storage) => runMigrations(storage, sets)));
    const one = storages[0]!;
    expect(await one.all('SELECT migration FROM applied ORDER BY migration')).to.deep.equal([{ migration: '002' }, { migration: '003' }]);
    expect(await one.value('SELECT COUNT(*) FROM schema_migrations')).to.equal(storeMigrations.length + 3);
    expect(await one.value('SELECT COUNT(*) FROM events')).to.equal(0);
  });

  it('when a transaction that began later commits first, then its afterCommit callbacks run first', async () => {
    const storage = await open();
    const seen: string[] = [];
    const hold = gate();
    const began = gate();
    const early = storage.transaction(async (tx) => { tx.afterCommit(() => seen.push('began first')); began.open(); await hold.promise; });
    await began.promise;
    await storage.transaction(async (tx) => tx.afterCommit(() => seen.push('began second')));
    hold.open();
    await early;
    expect(seen).to.deep.equal(['began second', 'began first']);
  });
});
