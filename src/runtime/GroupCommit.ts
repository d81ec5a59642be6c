// A group commit: the commits asked for during one turn of the event loop share one SQLite transaction, each in its
// own savepoint, and each caller hears back once the whole group is durable.
import type { Logger } from 'pino';

export interface GroupCommitDeps {
  /** Runs `fn` in one new transaction; `publish` then hands on what it appended (after COMMIT, outside it). */
  transact(fn: () => void): { publish(): void };
  /** Inside `transact`'s function a savepoint (one that throws is undone alone); outside, a commit of its own. */
  commit<T>(fn: () => T): T;
  inTransaction(): boolean;
  log: Logger;
}

interface Job {
  fn: () => unknown;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export class GroupCommit {
  private queue: Job[] | undefined;

  constructor(private readonly deps: GroupCommitDeps) {}

  add<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const job: Job = { fn, resolve: resolve as (value: unknown) => void, reject };
      if (this.queue) return void this.queue.push(job);
      this.queue = [job];
      setImmediate(() => this.flush());
    });
  }

  /** Commits what is queued now (also called on stop, before the database closes). */
  flush(): void {
    const jobs = this.queue ?? [];
    this.queue = undefined;
    if (jobs.length === 0) return;
    const outcomes: ({ value: unknown } | { error: unknown })[] = [];
    /** The job whose error ended SQLite's whole transaction (RAISE(ROLLBACK), a full disk), if one did. */
    let lostBy = -1;
    let committed: { publish(): void };
    try {
      committed = this.deps.transact(() => {
        for (const job of jobs) {
          try {
            outcomes.push({ value: this.deps.commit(job.fn) });
          } catch (error) {
            outcomes.push({ error });
            if (!this.deps.inTransaction()) {
              lostBy = outcomes.length - 1;
              throw error;
            }
          }
        }
      });
    } catch (error) {
      if (lostBy < 0) return jobs.forEach((job) => job.reject(error)); // BEGIN or COMMIT failed: nothing of it ran
      // Nothing of the group stands: the job that ended it fails, every other one commits on its own.
      jobs.forEach((job, i) => {
        if (i === lostBy) return job.reject(error);
        try {
          job.resolve(this.deps.commit(job.fn));
        } catch (e) {
          job.reject(e);
        }
      });
      return;
    }
    // Durable from here: a failure to hand on the events must not make anyone run a job again.
    try {
      committed.publish();
    } catch (error) {
      this.deps.log.error({ err: error instanceof Error ? error.message : String(error) }, 'could not hand on the events of a group commit');
    }
    jobs.forEach((job, i) => {
      const outcome = outcomes[i]!;
      if ('error' in outcome) job.reject(outcome.error);
      else job.resolve(outcome.value);
    });
  }
}
