// Dead-letter operations shared by the admin API and the admin CLI, so both answer the same way.
import { ConflictError, NotFoundError } from '../errors.js';
import type { AsyncEventProcessor } from '../runtime/AsyncEventProcessor.js';
import type { DeadLetter, DeadLetterWithEvent } from '../runtime/DeadLetters.js';
import { redactSecrets } from './redact.js';

export interface RetryResult {
  id: string;
  outcome: 'handled' | 'failed';
  /** The dead letter as it stands after the retry; null once a successful retry removed it. */
  deadLetter: DeadLetter | null;
}

export interface RetryAllResult {
  retried: number;
  handled: number;
  failed: number;
  /** Dead letters of subscribers that do not run in this process: only a process running them can retry them. */
  skipped: number;
  /** Dead letters another retry had in hand (on this replica or another), or that it removed before their turn. */
  elsewhere: number;
  results: { id: string; subscriber: string; outcome: 'handled' | 'failed' }[];
}

export class DeadLetterOps {
  constructor(
    private readonly processor: AsyncEventProcessor,
    private readonly secrets: readonly string[],
  ) {}

  async list(filter: { subscriber?: string; limit?: number; offset?: number }): Promise<DeadLetter[]> {
    return (await this.processor.deadLetters.find(filter)).map((l) => this.clean(l));
  }

  async total(subscriber?: string): Promise<number> {
    const counts = await this.processor.deadLetters.countBySubscriber();
    return subscriber ? (counts[subscriber] ?? 0) : Object.values(counts).reduce((a, b) => a + b, 0);
  }

  async get(id: string): Promise<DeadLetterWithEvent | undefined> {
    const letter = await this.processor.deadLetters.get(id);
    return letter && { ...this.clean(letter), stack: letter.stack && redactSecrets(letter.stack, this.secrets) };
  }

  async retry(id: string): Promise<RetryResult> {
    const outcome = await this.processor.retryDeadLetter(id);
    const after = await this.processor.deadLetters.get(id);
    return { id, outcome, deadLetter: after ? this.clean(withoutEvent(after)) : null };
  }

  /** Retries one at a time, oldest first; the ids are read up front so the list shrinking under us skips none. */
  async retryAll(subscriber?: string): Promise<RetryAllResult> {
    const here = new Set(this.processor.subscriberNames());
    const letters: DeadLetter[] = [];
    for (let offset = 0; ; offset += 500) {
      const page = await this.processor.deadLetters.find({ subscriber, limit: 500, offset });
      letters.push(...page);
      if (page.length < 500) break;
    }
    const runnable = letters.filter((l) => here.has(l.subscriber));
    const results: RetryAllResult['results'] = [];
    let elsewhere = 0;
    for (const letter of runnable) {
      try {
        results.push({ id: letter.id, subscriber: letter.subscriber, outcome: await this.processor.retryDeadLetter(letter.id) });
      } catch (error) {
        // Another operator's retry holds it or has removed it (each retry takes the letter's lock): not ours to count.
        if (!(error instanceof ConflictError || error instanceof NotFoundError)) throw error;
        elsewhere++;
      }
    }
    const handled = results.filter((r) => r.outcome === 'handled').length;
    return { retried: results.length, handled, failed: results.length - handled, skipped: letters.length - runnable.length, elsewhere, results };
  }

  discard(id: string): Promise<void> {
    return this.processor.discardDeadLetter(id);
  }

  private clean<T extends DeadLetter>(letter: T): T {
    return { ...letter, error: redactSecrets(letter.error, this.secrets) };
  }
}

function withoutEvent(letter: DeadLetterWithEvent): DeadLetter {
  const { event: _event, stack: _stack, ...rest } = letter;
  return rest;
}
