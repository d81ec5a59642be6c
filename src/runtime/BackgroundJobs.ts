// Runs the modules' declared background jobs: each once at start, then every `everyMs` after the previous run.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import type { BackgroundJob } from './module.js';

export class BackgroundJobs {
  private readonly abort = new AbortController();
  private readonly running: Promise<void>[] = [];

  constructor(private readonly log: Logger) {}

  start(jobs: readonly { module: string; job: BackgroundJob }[]): void {
    for (const { module, job } of jobs) this.running.push(this.loop(module, job));
  }

  /** Aborts every job and waits for the runs in progress to end. */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.running);
  }

  private async loop(module: string, job: BackgroundJob): Promise<void> {
    const { signal } = this.abort;
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
