// Runs a job only while this process holds it, among all the processes on the database: it tries to take it,
// starts the work once it has it, stops the work when it is lost (or on stop), and tries again after a while.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import type { HeldLock, Storage } from '../storage/Storage.js';
import type { Leases } from './Leases.js';

/** A way to take the job: resolves to the hold, or undefined when another process has it. */
export type TryHold = () => Promise<HeldLock | undefined>;

export interface OwnershipHandlers {
  /** Starts the work; this process holds the job from now on. */
  acquired(): Promise<void> | void;
  /** Stops the work (the hold is gone, or the process stops); the job is released after it returns. */
  lost(): Promise<void> | void;
  /** Told of every change, for metrics and logs. */
  changed?(held: boolean): void;
}

export class Ownership {
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private firstTry: Promise<void>;
  private tried: () => void = () => {};
  held = false;

  constructor(
    readonly name: string,
    private readonly tryHold: TryHold,
    private readonly handlers: OwnershipHandlers,
    private readonly retryMs: number,
    private readonly log: Logger,
  ) {
    this.firstTry = new Promise((resolve) => (this.tried = resolve));
  }

  /** Starts trying; resolves after the first try, with the work started when it succeeded. */
  start(): Promise<void> {
    this.running ??= this.run();
    return this.firstTry;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private async run(): Promise<void> {
    const { signal } = this.abort;
    const stopped = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    while (!signal.aborted) {
      let hold: HeldLock | undefined;
      try {
        hold = await this.tryHold();
      } catch (error) {
        this.log.warn({ job: this.name, err: errorMessage(error) }, 'could not try to take the job; trying again');
      }
      if (!hold) {
        this.tried();
        await sleep(this.retryMs, undefined, { signal }).catch(() => {});
        continue;
      }
      if (signal.aborted) {
        await hold.release().catch(() => {});
        break;
      }
      this.held = true;
      this.handlers.changed?.(true);
      try {
        await this.handlers.acquired();
      } finally {
        this.tried();
      }
      await Promise.race([hold.lost, stopped]);
      this.held = false;
      await this.handlers.lost();
      this.handlers.changed?.(false);
      await hold.release().catch((error: unknown) => this.log.warn({ job: this.name, err: errorMessage(error) }, 'could not release the job'));
    }
    this.tried();
  }
}

/**
 * A lease as a hold: renewed every third of its time; lost when a renewal fails (taken over after it expired, or
 * the database did not answer: the work stops before another process could take the lease over).
 */
export function leaseHold(leases: Leases, name: string): TryHold {
  return async () => {
    if (!(await leases.tryAcquire(name))) return undefined;
    let lose: () => void = () => {};
    const lost = new Promise<void>((resolve) => (lose = resolve));
    const timer = setInterval(() => {
      leases.renew(name).then(
        (ok) => ok || lose(),
        () => lose(),
      );
    }, leases.ttlMs / 3);
    timer.unref();
    return {
      lost,
      release: async () => {
        clearInterval(timer);
        await leases.release(name);
      },
    };
  };
}

/**
 * A lock as a hold (see Storage.tryHoldLock), with its row in the leases table kept fresh so operators see who
 * holds the job; the row's expiry means nothing here, the lock does.
 */
export function lockHold(storage: Storage, leases: Leases, name: string): TryHold {
  return async () => {
    const lock = await storage.tryHoldLock(name);
    if (!lock) return undefined;
    const note = () => leases.record(name).catch(() => {});
    await note();
    const timer = setInterval(() => void note(), leases.ttlMs / 3);
    timer.unref();
    return {
      lost: lock.lost,
      release: async () => {
        clearInterval(timer);
        await leases.release(name).catch(() => {});
        await lock.release();
      },
    };
  };
}

/**
 * How a job is held among processes. On PostgreSQL, where several processes share the database, a lease for
 * subscribers and jobs (a process that hangs loses it once it stops renewing) and a session lock for the relay
 * (taken over as soon as its holder's connection is gone). On SQLite one process owns the file: a lock within it.
 */
export function jobHold(storage: Storage, leases: Leases, name: string, kind: 'lease' | 'lock'): TryHold {
  return storage.engine === 'postgres' && kind === 'lease' ? leaseHold(leases, name) : lockHold(storage, leases, name);
}
