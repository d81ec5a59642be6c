// One conformance suite for the storage port, run on SQLite (a temp file) and on PostgreSQL (a fresh schema).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { isUniqueViolation, TransactionClosedError } from '../../src/storage/errors.js';
import { PostgresStorage } from '../../src/storage/postgres/PostgresStorage.js';
import { SqliteStorage } from '../../src/storage/sqlite/SqliteStorage.js';
import type { Engine, Sql, Storage, Transaction } from '../../src/storage/Storage.js';
import { closeAdmin, freshSchema, requirePostgres, someoneWaitsFor } from '../support/postgres.js';

/** One database for one test; each open() is another storage on it, as another process would have. */
interface TestDatabase {
  open(): Promise<Storage>;
  /** Resolves once a second holder of `name` waits (or has got through, which the test then catches). */
  secondHolderWaits(storage: Storage, name: string, gotThrough: () => boolean): Promise<void>;
  destroy(): Promise<void>;
}

const engines: Record<Engine, () => Promise<TestDatabase>> = {
  async sqlite() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paybus-storage-'));
    const opened: Storage[] = [];
    return {
      open: async () => opened[opened.push(new SqliteStorage(path.join(dir, 'paybus.db'))) - 1]!,
      // The lock is a Mutex in this process: one turn of the event loop is enough for a free one to be taken.
      secondHolderWaits: () => new Promise((resolve) => setImmediate(resolve)),
      destroy: async () => {
        for (const storage of opened) await storage.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  async postgres() {
    const schema = await freshSchema();
    const opened: Storage[] = [];
    return {
      open: async () => opened[opened.push(await PostgresStorage.open({ url: schema.url })) - 1]!,
      secondHolderWaits: async (storage, name, gotThrough) => void (await someoneWaitsFor((storage as PostgresStorage).lockKey(name), gotThrough)),
      destroy: async () => {
        for (const storage of opened) await storage.close();
        await schema.drop();
      },
    };
  },
};

const ITEMS = 'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, n BIGINT)';
const insert = (sql: Sql, id: number, name = `item ${id}`) => sql.run('INSERT INTO items (id, name) VALUES (?, ?)', [id, name]);
const ids = async (sql: Sql) => (await sql.all<{ id: number }>('SELECT id FROM items ORDER BY id')).map((row) => row.id);

function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  return { promise: new Promise<void>((resolve) => (open = resolve)), open: () => open() };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection, but it resolved');
}

for (const engine of ['sqlite', 'postgres'] as const) {
  describe(`storage port on ${engine}`, function () {
    let db: TestDatabase | undefined;
    let storage: Storage;

    before(async function () {
      if (engine === 'postgres') await requirePostgres(this);
    });
    after(closeAdmin);
    beforeEach(async () => {
      db = await engines[engine]();
      storage = await db.open();
      await storage.transaction((tx) => tx.exec(ITEMS));
    });
    afterEach(async () => {
      await db?.destroy();
      db = undefined;
    });

    it('when statements run outside a transaction, then each commits on its own and run() counts the rows it changed', async () => {
      expect(await insert(storage, 1)).to.equal(1);
      await insert(storage, 2);
      expect(await storage.run('UPDATE items SET n = ? WHERE id > ?', [7, 0])).to.equal(2);
      expect(await ids(await db!.open())).to.deep.equal([1, 2]);
    });

    it('when no row matches, then value() and one() return undefined, and a NULL column is null', async () => {
      expect(await storage.value('SELECT name FROM items WHERE id = ?', [9])).to.equal(undefined);
      expect(await storage.one('SELECT name FROM items WHERE id = ?', [9])).to.equal(undefined);
      await storage.transaction(async (tx) => {
        expect(await tx.value('SELECT name FROM items WHERE id = ?', [9])).to.equal(undefined);
        expect(await tx.one('SELECT name FROM items WHERE id = ?', [9])).to.equal(undefined);
        await insert(tx, 1);
      });
      expect(await storage.value('SELECT n FROM items WHERE id = ?', [1])).to.equal(null);
    });

    it('when BIGINT and COUNT values are read, then they come back as JavaScript numbers', async () => {
      await storage.run('INSERT INTO items (id, name, n) VALUES (?, ?, ?)', [1, 'big', 2 ** 40]);
      expect(await storage.value('SELECT n FROM items')).to.equal(2 ** 40);
      expect(await storage.one('SELECT COUNT(*) AS c, MAX(n) AS m FROM items')).to.deep.equal({ c: 1, m: 2 ** 40 });
    });

    it('when the function resolves, then all it wrote commits and its result comes back', async () => {
      const result = await storage.transaction(async (tx) => (await insert(tx, 1)) + (await insert(tx, 2)));
      expect(result).to.equal(2);
      expect(await ids(await db!.open())).to.deep.equal([1, 2]);
    });

    it('when the function throws, then nothing it wrote stays and the same error comes back', async () => {
      const boom = new Error('boom');
      const error = await rejection(storage.transaction(async (tx) => { await insert(tx, 1); throw boom; }));
      expect(error).to.equal(boom);
      expect(await ids(storage)).to.deep.equal([]);
    });

    it('when a statement outside runs while a transaction is open, then it never sees that uncommitted row', async () => {
      let read: Promise<number[]> | undefined;
      await rejection(storage.transaction(async (tx) => {
        await insert(tx, 1);
        read = ids(storage);
        // PostgreSQL answers now from another connection; SQLite's read must wait for the writer (awaiting would hang).
        if (tx.engine === 'postgres') await read;
        throw new Error('undo');
      }));
      expect(await read).to.deep.equal([]);
    });

    it('when a statement fails and the function carries on, then the transaction never resolves without its writes', async () => {
      let called = false;
      const outcome = await storage.transaction(async (tx) => {
        await insert(tx, 1);
        await rejection(insert(tx, 1)); // a duplicate, swallowed
        tx.afterCommit(() => (called = true));
        return 'resolved';
      }).catch(() => 'rejected');
      const committed = outcome === 'resolved';
      expect({ rows: await ids(storage), called }).to.deep.equal(committed ? { rows: [1], called: true } : { rows: [], called: false });
    });

    it('when a savepoint fails, then only its writes are undone and the transaction commits the rest', async () => {
      await storage.transaction(async (tx) => {
        await insert(tx, 1);
        const error = await rejection(tx.savepoint(async (sp) => { await insert(sp, 2); await insert(sp, 1); }));
        expect(isUniqueViolation(error)).to.equal(true);
        await insert(tx, 3);
      });
      expect(await ids(storage)).to.deep.equal([1, 3]);
    });

    it('when savepoints nest, then an undone inner one keeps the outer writes and an undone outer one takes the inner with it', async () => {
      await storage.transaction(async (tx) => {
        await tx.savepoint(async (outer) => {
          await insert(outer, 1);
          await rejection(outer.savepoint(async (inner) => { await insert(inner, 2); throw new Error('undo inner'); }));
          await outer.savepoint((inner) => insert(inner, 3));
        });
        await rejection(tx.savepoint(async (outer) => { await outer.savepoint((inner) => insert(inner, 4)); throw new Error('undo outer'); }));
      });
      expect(await ids(storage)).to.deep.equal([1, 3]);
    });

    it('when a second savepoint opens beside one still running on the same level, then it is refused', async () => {
      await storage.transaction(async (tx) => {
        const hold = gate();
        const first = tx.savepoint(async (sp) => { await hold.promise; await insert(sp, 1); });
        expect((await rejection(tx.savepoint((sp) => insert(sp, 2)))).message).to.match(/already open/);
        hold.open();
        await first;
      });
      expect(await ids(storage)).to.deep.equal([1]);
    });

    it('when a statement runs on a transaction or a savepoint that has ended, then it is refused with TransactionClosedError', async () => {
      const ended: Transaction[] = [];
      await storage.transaction(async (tx) => void ended.push(tx));
      await rejection(storage.transaction(async (tx) => { ended.push(tx); throw new Error('undo'); }));
      await storage.transaction(async (tx) => {
        await tx.savepoint(async (sp) => void ended.push(sp));
        await rejection(tx.savepoint(async (sp) => { ended.push(sp); throw new Error('undo'); }));
        // Checked inside an open transaction: its statements would otherwise land in it and commit.
        for (const view of ended) {
          expect(await rejection(insert(view, 1))).to.be.instanceOf(TransactionClosedError);
          expect(await rejection(view.savepoint(async () => {}))).to.be.instanceOf(TransactionClosedError);
          expect(() => view.afterCommit(() => {})).to.throw(TransactionClosedError);
        }
      });
      expect(await ids(storage)).to.deep.equal([]);
    });

    it('when transactions commit, then their afterCommit callbacks run after COMMIT, in commit order', async () => {
      const other = await db!.open();
      const seen: string[] = [];
      let visible: Promise<number[]> | undefined;
      await storage.transaction(async (tx) => {
        await insert(tx, 1);
        tx.afterCommit(() => seen.push('a1'));
        tx.afterCommit(() => void (visible = ids(other)));
        tx.afterCommit(() => seen.push('a2'));
      });
      await storage.transaction(async (tx) => tx.afterCommit(() => seen.push('b')));
      expect(seen).to.deep.equal(['a1', 'a2', 'b']);
      expect(await visible).to.deep.equal([1]);
    });

    it('when a transaction rolls back or a savepoint is undone, then their afterCommit callbacks never run', async () => {
      const seen: string[] = [];
      await rejection(storage.transaction(async (tx) => { tx.afterCommit(() => seen.push('rolled back')); throw new Error('undo'); }));
      await storage.transaction(async (tx) => {
        tx.afterCommit(() => seen.push('transaction'));
        await rejection(tx.savepoint(async (sp) => { sp.afterCommit(() => seen.push('undone savepoint')); throw new Error('undo'); }));
        await tx.savepoint(async (sp) => sp.afterCommit(() => seen.push('kept savepoint')));
      });
      expect(seen).to.deep.equal(['transaction', 'kept savepoint']);
    });

    it('when grouped transactions are asked for together and one fails, then only its work is undone', async () => {
      const called: number[] = [];
      const member = (id: number, fail = false) =>
        storage.transaction(async (tx) => {
          await insert(tx, id);
          tx.afterCommit(() => called.push(id));
          if (fail) throw new Error(`member ${id} fails`);
          return id;
        }, { grouped: true });
      const outcomes = await Promise.allSettled([member(1), member(2, true), member(3)]);
      expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
      expect(await ids(storage)).to.deep.equal([1, 3]);
      expect(called.sort()).to.deep.equal([1, 3]);
    });

    if (engine === 'sqlite') {
      it('when grouped transactions are asked for in one turn on SQLite, then they share one commit', async () => {
        const other = await db!.open();
        const seenByOther: number[][] = [];
        const member = (id: number) => storage.transaction(async (tx) => { await insert(tx, id); seenByOther.push(await ids(other)); }, { grouped: true });
        await Promise.all([member(1), member(2), member(3)]);
        expect(seenByOther).to.deep.equal([[], [], []]); // with a commit each, the second would see [1]
        expect(await ids(other)).to.deep.equal([1, 2, 3]);
      });
    } else {
      it('when a grouped transaction is asked for on PostgreSQL, then it commits without waiting for the others', async () => {
        const hold = gate();
        const slow = storage.transaction(async (tx) => { await insert(tx, 1); await hold.promise; }, { grouped: true });
        await storage.transaction((tx) => insert(tx, 2), { grouped: true });
        expect(await ids(await db!.open())).to.deep.equal([2]);
        hold.open();
        await slow;
      });
    }

    it('when a primary key or unique index refuses a row, then isUniqueViolation says so, and for no other error', async () => {
      await insert(storage, 1, 'a');
      expect(isUniqueViolation(await rejection(insert(storage, 1, 'b')))).to.equal(true);
      expect(isUniqueViolation(await rejection(insert(storage, 2, 'a')))).to.equal(true);
      expect(isUniqueViolation(await rejection(storage.run('INSERT INTO items (id, name) VALUES (?, NULL)', [3])))).to.equal(false);
      expect(isUniqueViolation(await rejection(storage.run('SELECT * FROM no_such_table')))).to.equal(false);
    });

    it('when two withLock calls ask for the same name, then the second runs only after the first has finished', async () => {
      const log: string[] = [];
      const hold = gate();
      const entered = gate();
      const first = storage.withLock('job', async () => { log.push('first in'); entered.open(); await hold.promise; log.push('first out'); });
      await entered.promise;
      const second = storage.withLock('job', async () => void log.push('second in'));
      await db!.secondHolderWaits(storage, 'job', () => log.includes('second in'));
      await storage.withLock('another job', async () => void log.push('another name'));
      hold.open();
      await Promise.all([first, second]);
      expect(log).to.deep.equal(['first in', 'another name', 'first out', 'second in']);
    });
  });
}
