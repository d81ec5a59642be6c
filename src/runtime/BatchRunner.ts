// The one place that runs subscribers' work, for the in-process feeds and the module queues alike. Works with the
// same ordering key run strictly one after another; different keys run side by side, up to a bound. The first
// attempts of database-only subscribers share one transaction; everything else (a failure, a call to the outside,
// a key busy with a dead-letter retry) goes one event at a time through the processor, with its retries and dead
// letters, holding back only the later works of its own key.
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import type { AsyncEventProcessor, FailedAttempt } from './AsyncEventProcessor.js';
import type { Commit, DeliveredEvent, UnitOfWork } from './module.js';
import type { ProcessedSubscriber } from './subscribers.js';

/** One event for one subscriber. */
export interface Work {
  readonly event: DeliveredEvent;
  readonly subscriber: ProcessedSubscriber;
  /** Handled, or dead-lettered. */
  done(): void;
  /** The runner stopped, or the runtime itself failed, before it was done: the work must come again. */
  abandoned(): void;
}

export interface BatchRunnerDeps {
  commit: Commit;
  processor: AsyncEventProcessor;
  log: Logger;
}

export interface BatchRunnerOptions {
  /** Works whose first attempts share one transaction at most: enough to share a commit, few enough that
   * requests wait only milliseconds for the writer. */
  batchSize?: number;
  /** Keys in hand at once at most: how many events (of different keys) may wait on the outside together. */
  concurrency?: number;
}

interface InHand {
  work: Work;
  key: string;
  /** The first attempt, made in the batch, failed: the processor goes on from attempt 2. */
  failed?: FailedAttempt;
  /** Its first attempt committed in the batch. */
  handled: boolean;
}

/** A first attempt that threw inside a batch: it undoes the batch, which runs again without it. */
class FailedAttemptInBatch extends Error {
  constructor(
    readonly item: InHand,
    readonly error: unknown,
  ) {
    super(`first attempt failed: ${errorMessage(error)}`);
  }
}

export class BatchRunner {
  /** Works queued per key, in the order they came. */
  private readonly lanes = new Map<string, Work[]>();
  /** Keys with work in hand: their next work waits. */
  private readonly active = new Set<string>();
  private queued = 0;
  private inHand = 0;
  private scheduled = false;
  /** A batch waits for its transaction and has not taken its works yet. */
  private waiting = false;
  private stopped = false;
  private readonly running = new Set<Promise<void>>();
  private waiters: { below: number; resolve(): void }[] = [];
  private readonly batchSize: number;
  private readonly concurrency: number;

  constructor(
    readonly name: string,
    private readonly deps: BatchRunnerDeps,
    options: BatchRunnerOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 100;
    this.concurrency = options.concurrency ?? 16;
  }

  /** Works queued or in hand. */
  get size(): number {
    return this.queued + this.inHand;
  }

  push(work: Work): void {
    if (this.stopped) return work.abandoned();
    const key = work.subscriber.keyOf(work.event);
    const lane = this.lanes.get(key);
    if (lane) lane.push(work);
    else this.lanes.set(key, [work]);
    this.queued++;
    // Never in the caller's stack (a handler must not run inside the publisher's, before the rest of its commit's
    // events are handed on): the works pushed by one call stack form one batch.
    this.schedule();
  }

  /** Resolves once at most `count` works are queued or in hand (0: idle). */
  below(count: number): Promise<void> {
    if (this.size <= count || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ below: count, resolve }));
  }

  idle(): Promise<void> {
    return this.below(0);
  }

  /** Takes no more work; what is queued is abandoned; resolves once the work in hand has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const lane of this.lanes.values()) for (const work of lane) work.abandoned();
    this.lanes.clear();
    this.queued = 0;
    while (this.running.size > 0) await Promise.all([...this.running]);
    this.notify();
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /**
   * Starts the next batch, unless one is waiting for its transaction: that one takes what is queued when the
   * transaction begins (a turn later, when grouped), so the works that arrive meanwhile still join it.
   */
  private pump(): void {
    if (this.stopped || this.waiting || !this.ready()) return;
    this.waiting = true;
    const run = this.runBatch();
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  /** Some key not in hand has work queued, and the bound allows another key. */
  private ready(): boolean {
    if (this.active.size >= this.concurrency) return false;
    for (const key of this.lanes.keys()) if (!this.active.has(key)) return true;
    return false;
  }

  /** The next works of free keys, up to a batch and the bound; they are in hand from now on. */
  private take(): InHand[] {
    this.waiting = false;
    const taken: InHand[] = [];
    for (const [key, lane] of this.lanes) {
      if (taken.length >= this.batchSize || this.active.size >= this.concurrency) break;
      if (this.active.has(key)) continue;
      this.active.add(key);
      // Consecutive works of one key may share the batch while they only write the database; the first one that
      // calls out ends the key's part: what follows it waits until it is done.
      while (lane.length > 0 && taken.length < this.batchSize) {
        const work = lane.shift()!;
        this.queued--;
        this.inHand++;
        taken.push({ work, key, handled: false });
        if (!work.subscriber.applyIn) break;
      }
      if (lane.length === 0) this.lanes.delete(key);
    }
    // Keys left over (past the batch's size) start a batch of their own.
    this.schedule();
    return taken;
  }

  private async runBatch(): Promise<void> {
    let taken: InHand[] | undefined;
    const takeOnce = () => (taken ??= this.take());
    if (this.headsNeedTransaction()) await this.firstAttempts(takeOnce);
    const byKey = new Map<string, InHand[]>();
    for (const item of takeOnce()) byKey.get(item.key)?.push(item) ?? byKey.set(item.key, [item]);
    await Promise.all(
      [...byKey].map(async ([key, items]) => {
        for (const item of items) await this.finish(item);
        this.active.delete(key);
        this.schedule();
      }),
    );
  }

  /** Whether a work at the head of a free key is database-only (worth a batch transaction). */
  private headsNeedTransaction(): boolean {
    for (const [key, lane] of this.lanes) if (!this.active.has(key) && lane[0]?.subscriber.applyIn) return true;
    return false;
  }

  /**
   * First attempts of the database-only works, all in one transaction. Optimistic: no savepoint per attempt (two
   * statements each, most of a small handler's cost). When one attempt throws, the whole transaction is undone and
   * runs again without it: its failure counts as its first attempt, and the later works of its key wait for it.
   * Each run drops at least one attempt, so this ends.
   */
  private async firstAttempts(take: () => InHand[]): Promise<void> {
    let taken: InHand[] = [];
    const failures = new Map<InHand, unknown>();
    for (;;) {
      try {
        // The engine may run this again too (SQLite runs a group's other members alone when one ends the shared
        // transaction; PostgreSQL retries a deadlock): every run starts from the same state.
        await this.deps.commit(async (uow) => {
          taken = take();
          await this.attemptAll(uow, taken, failures);
        });
      } catch (error) {
        if (error instanceof FailedAttemptInBatch) {
          failures.set(error.item, error.error);
          continue;
        }
        // Not a handler but the transaction (the database, a COMMIT refused): nothing of it stands, so every work
        // goes the slow way from its first attempt.
        this.deps.log.warn({ runner: this.name, err: errorMessage(error) }, 'batch not committed; handling its events one at a time');
        for (const item of taken) Object.assign(item, { handled: false, failed: undefined });
        return;
      }
      for (const item of taken) if (item.handled) this.deps.processor.handledOutside(item.work.subscriber, item.work.event);
      return;
    }
  }

  private async attemptAll(uow: UnitOfWork, taken: InHand[], failures: Map<InHand, unknown>): Promise<void> {
    const { processor } = this.deps;
    const held = new Set<string>();
    for (const item of taken) Object.assign(item, { handled: false, failed: undefined });
    for (const item of taken) {
      const { event, subscriber } = item.work;
      // Behind a work of its key that runs outside, or busy with a dead-letter retry: its turn comes after.
      if (held.has(item.key) || !subscriber.applyIn || processor.busy(subscriber, event)) {
        held.add(item.key);
        continue;
      }
      if (failures.has(item)) {
        item.failed = { error: failures.get(item) };
        held.add(item.key);
        continue;
      }
      try {
        await subscriber.applyIn(uow, event, 1);
      } catch (error) {
        throw new FailedAttemptInBatch(item, error);
      }
      item.handled = true;
    }
  }

  /** A work whose first attempt did not commit in the batch: through the processor (retries, dead letters). */
  private async finish(item: InHand): Promise<void> {
    if (item.handled) return this.release(item, 'done');
    if (this.stopped) return this.release(item, 'abandoned');
    const { processor } = this.deps;
    const { event, subscriber } = item.work;
    try {
      const outcome = await (item.failed ? processor.resume(subscriber, event, item.failed) : processor.process(subscriber, event));
      // The processor is stopping: the event stays unrecorded and comes again on the next start.
      if (outcome === 'aborted') return this.release(item, 'abandoned');
    } catch (error) {
      // Only the runtime's own failure lands here (a dead letter that could not be written: the database is away).
      this.deps.log.error({ runner: this.name, eventId: event.id, err: errorMessage(error) }, 'event not handled; it will come again');
      return this.release(item, 'abandoned');
    }
    this.release(item, 'done');
  }

  private release(item: InHand, how: 'done' | 'abandoned'): void {
    this.inHand--;
    if (how === 'done') item.work.done();
    else item.work.abandoned();
    this.notify();
  }

  private notify(): void {
    if (this.waiters.length === 0) return;
    const size = this.stopped ? 0 : this.size;
    const ready = this.waiters.filter((w) => size <= w.below);
    this.waiters = this.waiters.filter((w) => size > w.below);
    for (const w of ready) w.resolve();
  }
}
