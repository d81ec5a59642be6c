// Moves outbox rows to RabbitMQ in id (commit) order; a row is marked published only after the broker confirmed it.
import pRetry from 'p-retry';
import { type Backoff, retryForever } from './backoff.js';
import type { Logger } from 'pino';
import type { Outbox, OutboxRow } from '../store/Outbox.js';
import type { OutgoingMessage } from './wire.js';
import { wireMessage } from './wire.js';
import { errorMessage } from '../errors.js';

export interface RelayTarget {
  isConnected(): boolean;
  whenConnected(signal?: AbortSignal): Promise<void>;
  publish(messages: readonly OutgoingMessage[]): Promise<void>;
}

export interface RelayOptions {
  batchSize?: number;
  /** The slow poll that picks up rows no commit announced (left by a crash, written by another tool). */
  pollMs?: number;
  backoff?: Backoff;
  /** Called for each row just before it is published (the transport counts what its own queues should get). */
  beforePublish?(row: OutboxRow): void;
}

export class OutboxRelay {
  /** Rows published and confirmed since start (for paybus_outbox_relayed_total). */
  relayedTotal = 0;
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private requested = false;
  private scheduled = false;
  private stopped = false;
  private poll: NodeJS.Timeout | undefined;

  constructor(
    private readonly outbox: Outbox,
    private readonly target: RelayTarget,
    private readonly log: Logger,
    private readonly options: RelayOptions = {},
  ) {}

  start(): void {
    this.poll = setInterval(() => this.wake(), this.options.pollMs ?? 5000);
    this.poll.unref();
    this.wake();
  }

  /** Called after every commit. Deferred one turn, so a burst of commits goes out as one batch. */
  wake(): void {
    if (this.stopped) return;
    this.requested = true;
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.running || this.stopped) return;
      // Only a bug (a row that cannot be encoded) lands here; the slow poll tries again.
      this.running = this.loop()
        .catch((error: unknown) => this.log.error({ err: errorMessage(error) }, 'outbox relay failed'))
        .finally(() => this.settle());
    });
  }

  /** True while nothing is pending in the outbox and no batch is on its way. */
  async isIdle(): Promise<boolean> {
    if (this.running || this.scheduled) return false;
    return (await this.outbox.status()).pending === 0 && !this.running && !this.scheduled;
  }

  /** Publishes what is pending while connected, for at most `timeoutMs` (a stop must not hang on a slow broker). */
  async stop(timeoutMs = 5000): Promise<void> {
    if (this.poll) clearInterval(this.poll);
    this.wake();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([this.flushed(), deadline]);
    clearTimeout(timer);
    this.stopped = true;
    this.abort.abort(); // rows still pending stay in the outbox for the next start
    await this.running;
  }

  private async flushed(): Promise<void> {
    while (!this.stopped && this.target.isConnected() && !(await this.isIdle())) await (this.running ?? new Promise((resolve) => setTimeout(resolve, 10)));
  }

  private settle(): void {
    this.running = undefined;
    if (this.requested && !this.stopped) this.wake();
  }

  private async loop(): Promise<void> {
    const batchSize = this.options.batchSize ?? 500;
    while (this.requested && !this.stopped) {
      this.requested = false;
      for (let rows = await this.outbox.pending(batchSize); rows.length > 0 && !this.stopped; rows = await this.outbox.pending(batchSize)) {
        try {
          await this.send(rows);
        } catch (error) {
          if (this.abort.signal.aborted) return;
          throw error;
        }
      }
    }
  }

  /** Sends one batch until it is confirmed, backing off (capped) while the broker is away or refuses. */
  private async send(rows: OutboxRow[]): Promise<void> {
    const ids = rows.map((row) => row.id);
    const messages = rows.map((row) => {
      this.options.beforePublish?.(row);
      return wireMessage(row);
    });
    await pRetry(
      async () => {
        await this.target.whenConnected(this.abort.signal);
        await this.target.publish(messages);
      },
      {
        ...retryForever(this.options.backoff ?? { minMs: 100, maxMs: 5000 }, this.abort.signal),
        onFailedAttempt: async ({ error, attemptNumber }) => {
          this.log.warn({ attempt: attemptNumber, firstId: ids[0], lastId: ids[ids.length - 1], err: error.message }, 'outbox batch not confirmed; will retry');
          await this.outbox.recordFailure(ids, error.message).catch(() => {});
        },
      },
    );
    // Exactly the rows sent: a row that committed inside their id range after they were read is still pending.
    await this.outbox.markPublished(ids);
    this.relayedTotal += rows.length;
  }
}
