// Runs the modules' declared background jobs: each in one process at a time among all on the database, once when
// that process takes it, then every `everyMs` after the previous run ended, until it stops or loses the job.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import type { BackgroundJob } from './module.js';
import type { Ownership, OwnershipHandlers } from './Ownership.js';

export type Own = (name: string, kind: 'lease', handlers: OwnershipHandlers) => Ownership;

export class BackgroundJobs {
  private readonly owners: Ownership[] = [];

  constructor(
    private readonly log: Logger,
    private readonly own: Own,
  ) {}

  start(jobs: readonly { module: string; job: BackgroundJob }[]): void {
    for (const { module, job } of jobs) {
      let abort: AbortController | undefined;
      let running: Promise<void> | undefined;
      const owner = this.own(`job:${module}.${job.name}`, 'lease', {
        acquired: () => {
          abort = new AbortController();
          running = this.loop(module, job, abort.signal);
        },
        lost: async () => {
          abort?.abort();
          await running;
        },
      });
      this.owners.push(owner);
      void owner.start();
    }
  }

  /** Aborts every job and waits for the runs in progress to end. */
  async stop(): Promise<void> {
    await Promise.all(this.owners.map((o) => o.stop()));
  }

  private async loop(module: string, job: BackgroundJob, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await job.run(signal);
      } catch (error) {
        if (!signal.aborted) this.log.error({ module, job: job.name, err: errorMessage(error) }, 'background job failed');
      }
      if (job.everyMs === undefined) return;
      await sleep(job.everyMs, undefined, { signal }).catch(() => {});
    }
  }
}
