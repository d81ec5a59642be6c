// The global position on PostgreSQL: a reader tailing the log never misses an event whose transaction commits late.
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { createUserCreatedEvent } from '../../src/events/catalog.js';
import type { StoredEvent } from '../../src/events/envelope.js';
import { runMigrations } from '../../src/storage/migrate.js';
import { PostgresStorage } from '../../src/storage/postgres/PostgresStorage.js';
import { APPEND_LOCK, EventStore } from '../../src/store/EventStore.js';
import { storeMigrations } from '../../src/store/tables.js';
import { describeOnPostgres, type FreshSchema, freshSchema, someoneWaitsFor } from '../support/postgres.js';

const WRITERS = 8;
const TRANSACTIONS_EACH = 50;

function newUser() {
  const userId = randomUUID();
  return createUserCreatedEvent(userId, `${userId}@example.com`, 'Ada Lovelace', null);
}

function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  return { promise: new Promise<void>((resolve) => (open = resolve)), open: () => open() };
}

/** Reads the log the way a catch-up subscriber does: always after the last position it saw. */
class Tail {
  readonly seen: StoredEvent[] = [];
  after = 0;

  constructor(private readonly store: EventStore) {}

  async poll(): Promise<number> {
    const batch = await this.store.readAll({ after: this.after, limit: 25 });
    for (const event of batch) {
      this.seen.push(event);
      this.after = event.position;
    }
    return batch.length;
  }

  async drain(): Promise<void> {
    while ((await this.poll()) > 0);
  }

  ids(): string[] {
    return this.seen.map((event) => event.id);
  }
}

describeOnPostgres('global positions on PostgreSQL', () => {
  let schema: FreshSchema;
  const opened: PostgresStorage[] = [];
  const open = async (poolSize?: number) => opened[opened.push(await PostgresStorage.open({ url: schema.url, poolSize })) - 1]!;

  beforeEach(async () => {
    schema = await freshSchema();
    await runMigrations(await open(1), [{ owner: 'store', migrations: storeMigrations }]);
  });
  afterEach(async () => {
    for (const storage of opened.splice(0)) await storage.close();
    await schema.drop();
  });

  it('when 8 connections append at once and some commit late, then a tailing reader sees every committed event once, in order', async () => {
    const writers = await open(WRITERS);
    const store = new EventStore(writers);
    const tail = new Tail(new EventStore(await open(1)));
    const committed: string[] = [];
    const appendSome = async () => {
      const events = Array.from({ length: 1 + Math.floor(Math.random() * 3) }, newUser);
      await writers.transaction(async (tx) => {
        await store.append(tx, events);
        if (Math.random() < 0.3) await tx.run('SELECT pg_sleep(?)', [Math.random() * 0.005]);
      });
      committed.push(...events.map((event) => event.id));
    };
    let writing = true;
    let fruitfulReadsWhileWriting = 0;
    const tailing = (async () => {
      while (writing) if ((await tail.poll()) > 0) fruitfulReadsWhileWriting++;
    })();
    await Promise.all(Array.from({ length: WRITERS }, async () => {
      for (let i = 0; i < TRANSACTIONS_EACH; i++) await appendSome();
    }));
    writing = false;
    await tailing;
    await tail.drain();

    const positions = tail.seen.map((event) => event.position);
    expect(positions.filter((position, i) => i > 0 && position <= positions[i - 1]!)).to.deep.equal([]);
    const seen = new Set(tail.ids());
    expect(committed.filter((id) => !seen.has(id))).to.deep.equal([]); // none missed
    expect(tail.seen.length).to.equal(committed.length); // none seen twice, none unknown
    expect(fruitfulReadsWhileWriting).to.be.greaterThan(1); // the reader really raced the writers
  });

  it('when an append commits, then a listener for commits hears of it, and never of an append rolled back', async () => {
    const storage = await open();
    const store = new EventStore(storage);
    let heard = 0;
    let wake = () => {};
    const stop = await storage.listenForCommits(() => {
      heard++;
      wake();
    });
    try {
      const undone = new Error('undo');
      const rolledBack = await storage.transaction(async (tx) => {
        await store.append(tx, [newUser()]);
        throw undone;
      }).catch((error: unknown) => error);
      expect(rolledBack).to.equal(undone);
      const woken = new Promise<void>((resolve) => (wake = resolve));
      await storage.transaction((tx) => store.append(tx, [newUser()]));
      await woken;
      // Notifications reach a listener in commit order: one from the rolled-back append would have come first.
      expect(heard).to.equal(1);
    } finally {
      await stop();
    }
  });

  it('when the append lock is left out, then a reader that has read a later commit misses the earlier position committed after it', async () => {
    const storage = await open();
    const store = new EventStore(storage, { appendLock: false });
    const tail = new Tail(store);
    const first = newUser();
    const appended = gate();
    const hold = gate();
    const t1 = storage.transaction(async (tx) => {
      const [stored] = await store.append(tx, [first]);
      appended.open();
      await hold.promise;
      return stored!;
    });
    try {
      await appended.promise;
      const [t2] = await storage.transaction((tx) => store.append(tx, [newUser()]));
      await tail.drain();
      expect(tail.after).to.equal(t2!.position); // the reader has moved past T2
      hold.open();
      expect((await t1).position).to.be.lessThan(t2!.position);
      await tail.drain();
      expect(await store.getById(first.id)).not.to.equal(undefined); // T1's event is in the log…
      expect(tail.ids()).not.to.include(first.id); // …and the reader never saw it
    } finally {
      hold.open();
      await t1.catch(() => {});
    }
  });

  it('when the append lock is held, then a later append waits for the earlier transaction and the reader misses nothing', async () => {
    const storage = await open();
    const store = new EventStore(storage);
    const tail = new Tail(store);
    const [first, second] = [newUser(), newUser()];
    const appended = gate();
    const hold = gate();
    const t1 = storage.transaction(async (tx) => {
      const [stored] = await store.append(tx, [first]);
      appended.open();
      await hold.promise;
      return stored!;
    });
    try {
      await appended.promise;
      let t2Ended = false;
      const t2 = storage.transaction((tx) => store.append(tx, [second])).finally(() => (t2Ended = true));
      expect(await someoneWaitsFor(storage.lockKey(APPEND_LOCK), () => t2Ended)).to.equal(true); // T2 waits for T1
      await tail.drain();
      expect(tail.ids()).to.deep.equal([]);
      hold.open();
      const [stored1, [stored2]] = await Promise.all([t1, t2]);
      expect(stored1.position).to.be.lessThan(stored2!.position);
      await tail.drain();
      expect(tail.ids()).to.deep.equal([first.id, second.id]);
    } finally {
      hold.open();
      await t1.catch(() => {});
    }
  });
});
