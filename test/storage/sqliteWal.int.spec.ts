// The WAL of a busy SQLite file: checkpointed off the event loop, and started over instead of growing without end.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { SqliteStorage } from '../../src/storage/sqlite/SqliteStorage.js';
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
