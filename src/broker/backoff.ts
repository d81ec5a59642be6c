// The broker's retry schedule: for ever, doubling from minMs up to maxMs with jitter, until the signal aborts.
import type { Options } from 'p-retry';

export interface Backoff {
  minMs: number;
  maxMs: number;
}

export function retryForever({ minMs, maxMs }: Backoff, signal: AbortSignal): Options {
  return { retries: Infinity, factor: 2, minTimeout: minMs, maxTimeout: maxMs, randomize: true, signal };
}
