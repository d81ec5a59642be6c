// Memory mode: feeds one reaction's runner from the log, from its checkpoint on. While it is caught up on SQLite
// it takes the events this process commits straight from the bus; behind (a start, an overload, PostgreSQL where
// other processes commit too) it reads the log page by page. The checkpoint follows what is done without a gap.
import type { Logger } from 'pino';
import type { StoredEvent } from '../events/envelope.js';
import { matchesAny } from '../events/patterns.js';
import type { EventStore } from '../store/EventStore.js';
import { logPages } from '../store/logPages.js';
import type { BatchRunner } from './BatchRunner.js';
import { errorMessage } from '../errors.js';
import type { Commit } from './module.js';
import type { SubscriberLedger } from './SubscriberLedger.js';
import type { ProcessedSubscriber } from './subscribers.js';
import { Watermark } from './Watermark.js';

export interface FeedDeps {
  store: EventStore;
  ledger: SubscriberLedger;
  commit: Commit;
  log: Logger;
}

export interface FeedOptions {
  /** Take events from the bus while caught up: true where this process is the only writer (SQLite). */
  useBus: boolean;
  /** Events read from the log at a time. */
  pageSize?: number;
  /** Events the runner may hold; past that the feed stops taking and reads on from the log later. */
  highWater?: number;
  /** Wait after the log could not be read. */
  retryMs?: number;
  /**
   * How long the checkpoint may lag what is done. It is only where a restart resumes (the inbox skips what was
   * handled since), so one write every so often does instead of one more commit per event.
   */
  checkpointEveryMs?: number;
}

export class SubscriptionFeed {
  /** Highest position handed to the runner, or passed over as not of its types. */
  private lastQueued = 0;
  /** Highest position done without a gap before it: where the checkpoint may go. */
  private settled = 0;
  private recorded = 0;
  private readonly watermark = new Watermark<number>();
  private live = false;
  private reading: Promise<void> | undefined;
  private again = false;
  private rewinding: Promise<void> | undefined;
  private saving: Promise<void> | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  private started = false;
  private stopped = false;
  private readonly exactTypes: readonly string[] | undefined;
  private readonly pageSize: number;
  private readonly highWater: number;

  constructor(
    readonly subscriber: ProcessedSubscriber,
    readonly types: readonly string[],
    private readonly runner: BatchRunner,
    private readonly deps: FeedDeps,
    private readonly options: FeedOptions,
  ) {
    // Exact types can be filtered by the store; wildcards are matched here.
    this.exactTypes = types.every((t) => !t.includes('*')) ? types : undefined;
    this.highWater = options.highWater ?? 1000;
    // Half the mailbox at most: the next page is read while the runner still has the other half to work on.
    this.pageSize = Math.min(options.pageSize ?? 500, Math.max(1, Math.floor(this.highWater / 2)));
  }

  /** Reads the checkpoint and starts catching up in the background. */
  async start(): Promise<void> {
    this.recorded = this.settled = this.lastQueued = await this.deps.ledger.checkpoint(this.subscriber.name);
    this.started = true;
    this.read();
  }

  /**
   * An event this process committed, from the bus, in position order: one of its types is queued; any other only
   * moves the checkpoint past it.
   */
  offer(event: StoredEvent): void {
    // Before the checkpoint is read, the catch-up that follows finds the event anyway.
    if (this.stopped || !this.started) return;
    if (this.live && event.position > this.lastQueued && this.runner.size < this.highWater) return this.take(event);
    if (!matchesAny(event.type, this.types)) return; // not ours: nothing to catch up on for it
    this.live = false;
    this.read();
  }

  /** Something was committed that the bus did not bring (another process): read on from the log. */
  wake(): void {
    if (this.started && !this.stopped) {
      this.live = false;
      this.read();
    }
  }

  isIdle(): boolean {
    return !this.reading && !this.rewinding && !this.saving && !this.saveTimer && this.runner.size === 0 && this.recorded === this.settled;
  }

  /** Resolves once nothing is read, handled or recorded (it may start again at the next commit). */
  async idle(): Promise<void> {
    while (!this.isIdle() && !this.stopped) {
      await Promise.all([this.reading, this.rewinding, this.saving, this.runner.idle()]);
      this.saveNow(); // whoever waits for idle wants the checkpoint where the work is
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.reading;
    await this.runner.stop();
    await this.saving;
    this.saveNow();
    await this.saving;
  }

  /** The backlog in memory (for metrics, the dashboard and tests). */
  backlog(): number {
    return this.runner.size;
  }

  /** Every event at or before this position is handled or not of its types. */
  handledUpTo(): number {
    return this.settled;
  }

  /** The next event of the log, in order: queued when it is of its types, else passed over. */
  private take(event: StoredEvent): void {
    if (matchesAny(event.type, this.types)) return this.queue(event);
    this.lastQueued = event.position;
    this.watermark.add(event.position);
    this.finished(event.position);
  }

  private queue(event: StoredEvent): void {
    this.lastQueued = event.position;
    this.watermark.add(event.position);
    this.runner.push({ event, subscriber: this.subscriber, done: () => this.finished(event.position), abandoned: () => this.rewind() });
  }

  private read(): void {
    if (this.stopped || this.rewinding) return;
    if (this.reading) return void (this.again = true);
    this.reading = this.readLoop().finally(() => (this.reading = undefined));
  }

  /** Pages through the log until a read comes back short with nothing committed meanwhile; then live again. */
  private async readLoop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.readToEnd();
      } catch (error) {
        if (this.stopped) return;
        this.deps.log.warn({ subscriber: this.subscriber.name, err: errorMessage(error) }, 'could not read the log; trying again');
        await new Promise((resolve) => setTimeout(resolve, this.options.retryMs ?? 1000));
        this.again = true;
      }
    } while (this.again && !this.stopped);
    // Synchronously after the last read: an event committed since then set `again`, so none slips between.
    this.live = this.options.useBus && !this.stopped;
  }

  private async readToEnd(): Promise<void> {
    const read = (after: number, limit: number) => this.deps.store.readAll({ after, limit, types: this.exactTypes });
    // Bounded: an overload costs lag, not memory. A page is read only once the runner has room for it.
    await this.room();
    for await (const page of logPages(read, this.lastQueued, this.pageSize)) {
      if (this.stopped) return;
      for (const event of page) this.take(event);
      await this.room();
    }
  }

  /** Resolves once the runner has room for another page within the mailbox. */
  private async room(): Promise<void> {
    if (this.runner.size + this.pageSize > this.highWater) await this.runner.below(Math.max(0, this.highWater - this.pageSize));
  }

  private finished(position: number): void {
    const settled = this.watermark.finish(position);
    if (settled.length === 0) return;
    this.settled = settled[settled.length - 1]!;
    this.scheduleSave();
  }

  private scheduleSave(): void {
    if (this.stopped || this.saveTimer || this.saving || this.recorded === this.settled) return;
    this.saveTimer = setTimeout(() => this.saveNow(), this.options.checkpointEveryMs ?? 200);
    this.saveTimer.unref();
  }

  /** Records the checkpoint now (unless a write is under way: it schedules the next), the latest position winning. */
  private saveNow(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    if (this.saving || this.recorded === this.settled) return;
    const position = this.settled;
    const { commit, ledger } = this.deps;
    this.saving = commit((uow) => ledger.advance(uow.tx, this.subscriber.name, position), { grouped: true }).then(
      () => {
        this.recorded = Math.max(this.recorded, position);
        this.saving = undefined;
        this.scheduleSave();
      },
      async (error: unknown) => {
        this.deps.log.warn({ subscriber: this.subscriber.name, err: errorMessage(error) }, 'could not record the checkpoint; trying again');
        this.saving = undefined;
        if (!this.stopped) this.scheduleSave();
      },
    );
  }

  /**
   * A work came back unfinished (the runtime failed): once the runner is quiet, read on from the last position done
   * without a gap; what was handled after it is skipped by the inbox.
   */
  private rewind(): void {
    if (this.stopped || this.rewinding) return;
    this.live = false;
    this.rewinding = this.runner.idle().then(async () => {
      await new Promise((resolve) => setTimeout(resolve, this.options.retryMs ?? 1000).unref());
      this.watermark.clear();
      this.lastQueued = this.settled;
      this.rewinding = undefined;
      this.read();
    });
  }
}
