// The WAL of a busy SQLite file: checkpointed off the event loop, and started over instead of growing without end.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { SqliteStorage } from '../../src/storage/sqlite/SqliteStorage.js';
import { WalCheckpointer } from '../../src/storage/sqlite/WalCheckpointer.js';
import { tempDir } from '../support/testApp.js';

describe('SQLite under writes that never stop', () => {
  it('when the WAL passes its bound, then writes pause for the checkpoint to catch up and the WAL starts over, nothing lost', async () => {
    const file = path.join(tempDir(), 'paybus.db');
    // Eager: a checkpoint every 10 ms, a restart past 64 frames (256 KB).
    const storage = new SqliteStorage(file, { checkpointer: { everyMs: 10, restartFrames: 64 } });
    try {
      await storage.run('CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)');
      // Twenty writers, each committing 4 KB rows one after the other, so some commit is always in flight: 32 MB in all.
      let next = 0;
      let largestWal = 0;
      const writer = async () => {
        while (next < 8000) {
          const id = ++next;
          await storage.transaction((tx) => tx.run('INSERT INTO blobs (id, data) VALUES (?, ?)', [id, randomBytes(4096)]), { grouped: true });
          if (id % 200 === 0) largestWal = Math.max(largestWal, fs.statSync(`${file}-wal`).size);
        }
      };
      await Promise.all(Array.from({ length: 20 }, writer));
      expect(await storage.value<number>('SELECT COUNT(*) FROM blobs')).to.equal(8000);
      // Without restarts the WAL holds every commit: over 32 MB (41 MB measured). It stays within a few bounds' worth,
      // how many depending on how busy the machine is (3-10 MB measured).
      expect(largestWal).to.be.lessThan(16 * 1024 * 1024);
      expect(storage.checkpointer!.restarts).to.be.greaterThan(0);
    } finally {
      await storage.close();
    }
  });
});

describe('the WAL checkpointer', () => {
  it('when its thread has died before a pause for writes begins, then the pause ends at once instead of holding writes', async () => {
    const file = path.join(tempDir(), 'paybus.db');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    let pause: (() => Promise<void>) | undefined;
    const checkpointer = new WalCheckpointer(file, db, (during) => (pause = during), { everyMs: 10, restartFrames: 1 });
    try {
      db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
      while (!pause) await new Promise((resolve) => setTimeout(resolve, 10));
      await (Reflect.get(checkpointer, 'worker') as Worker).terminate();
      // Without the guard this waits for an answer that never comes, and the test times out.
      await pause();
      expect(checkpointer.restarts).to.equal(0);
    } finally {
      await checkpointer.stop();
      db.close();
    }
  });
});
