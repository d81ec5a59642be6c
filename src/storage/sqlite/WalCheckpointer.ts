// Moves WAL checkpoints off the request path: a worker thread with its own connection checkpoints the file.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

// SQLite's automatic checkpoint runs inside whichever commit crosses 1000 WAL pages and copies them to the
// database file there and then: tens of milliseconds during which the event loop stops. The bench saw it as a
// p99 commit → handler latency of 26–47 ms against a p50 of 4 ms; with checkpoints in this worker, 7–8 ms.
// PASSIVE never waits for readers or writers, so the worker never blocks the main connection either.
//
// But under steady writes PASSIVE alone lets the WAL grow without end: SQLite starts writing the WAL from its beginning
// again only when a write transaction begins with every frame already copied back, and while commits keep coming, each
// checkpoint ends with newer frames behind it. The payments bench grew a 770 MB WAL beside a 67 MB database in 14 s,
// every commit appending to new file blocks the kernel had to allocate and zero. So once the WAL passes `restartFrames`,
// the checkpointer asks for a short pause in writes (reads go on) and copies the last few frames in it; the next commit
// then starts the WAL over, in blocks the file already has.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 0');
const checkpoint = () => {
  try {
    return db.pragma('wal_checkpoint(PASSIVE)')[0];
  } catch {
    return undefined; // busy: next tick
  }
};
const tick = () => parentPort.postMessage({ tick: checkpoint() });
const timer = setInterval(tick, workerData.everyMs);
parentPort.on('message', (m) => {
  if (m === 'catch-up') parentPort.postMessage({ caughtUp: checkpoint() });
  if (m === 'stop') { clearInterval(timer); checkpoint(); db.close(); parentPort.close(); }
});
`;

/** What `PRAGMA wal_checkpoint` answers: frames in the WAL, and how many of them are copied to the database. */
interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

export interface CheckpointerOptions {
  /** How often the thread checkpoints (500 ms). */
  everyMs?: number;
  /** WAL frames past which writes pause for the checkpoint to catch up, so the WAL starts over (16,384: 64 MB). */
  restartFrames?: number;
}

export class WalCheckpointer {
  private readonly worker: Worker;
  private catchingUp = false;
  private stopped = false;
  /** The thread has exited. */
  private gone = false;
  private caughtUp: ((result: CheckpointResult | undefined) => void) | undefined;
  /** How many times the WAL was caught up to start over (for tests and diagnostics). */
  restarts = 0;

  /**
   * `pauseWrites` runs its argument while no write transaction is open on `db` (the storage's writer lock). Past
   * `restartFrames` in the WAL, the checkpointer catches up inside such a pause.
   */
  constructor(
    file: string,
    db: Database.Database,
    private readonly pauseWrites: (during: () => Promise<void>) => void,
    { everyMs = 500, restartFrames = 16_384 }: CheckpointerOptions = {},
  ) {
    db.pragma('wal_autocheckpoint = 0');
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver, everyMs } });
    // A checkpointer that cannot run costs only latency: SQLite checkpoints on close, and the WAL keeps every commit.
    this.worker.on('error', (error) => (this.failure = error));
    // A pause must end even when the thread does not answer, and none may wait on a thread that has gone.
    this.worker.on('exit', () => {
      this.gone = true;
      this.caughtUp?.(undefined);
    });
    this.worker.on('message', (m: { tick?: CheckpointResult; caughtUp?: CheckpointResult }) => {
      if ('caughtUp' in m) return this.caughtUp?.(m.caughtUp);
      if (m.tick && m.tick.log >= restartFrames && !this.catchingUp) this.catchUp();
    });
    this.worker.unref();
  }

  private catchUp(): void {
    this.catchingUp = true;
    this.pauseWrites(async () => {
      // Stopped (close), or the thread died: nothing to wait for; on close the last checkpoint was the thread's own.
      if (this.stopped || this.gone) return void (this.catchingUp = false);
      this.worker.ref(); // writes wait on its answer: the process must live to hear it
      const result = await new Promise<CheckpointResult | undefined>((resolve) => {
        this.caughtUp = resolve;
        this.worker.postMessage('catch-up');
      });
      this.worker.unref();
      this.caughtUp = undefined;
      this.catchingUp = false;
      if (result && result.busy === 0 && result.checkpointed === result.log) this.restarts++;
    });
  }

  /** Why the thread stopped, if it failed (for tests and diagnostics). */
  failure: Error | undefined;

  /** Runs a last checkpoint and ends the thread. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.gone) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.ref(); // keep the process alive until the last checkpoint is done
    this.worker.postMessage('stop');
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 2000));
    await Promise.race([exited, timeout]);
    await this.worker.terminate();
  }
}
