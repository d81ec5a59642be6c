// In-process publish/subscribe on eventemitter3. A subscriber's failure never reaches the publisher or other subscribers.
import { EventEmitter } from 'eventemitter3';
import type { EventEnvelope } from '../events/envelope.js';
import { assertValidPattern } from '../events/patterns.js';

export type BusHandler<E extends EventEnvelope = EventEnvelope> = (event: E) => void | Promise<void>;
export type BusErrorHandler = (error: unknown, event: EventEnvelope, pattern: string) => void;

const ALL = '*';

export class EventBus {
  // Exact types and '*' are emitter channels; prefixes are matched through a small table so publish stays O(listeners).
  private readonly emitter = new EventEmitter();
  private readonly prefixes = new Map<string, Set<BusHandler>>();

  constructor(private readonly onError: BusErrorHandler = () => {}) {}

  subscribe<E extends EventEnvelope = EventEnvelope>(pattern: string, handler: BusHandler<E>): () => void {
    assertValidPattern(pattern);
    const guarded = this.guard(pattern, handler as BusHandler);
    if (pattern !== ALL && pattern.endsWith('.*')) {
      const prefix = pattern.slice(0, -1);
      let set = this.prefixes.get(prefix);
      if (!set) this.prefixes.set(prefix, (set = new Set()));
      set.add(guarded);
      return () => {
        set.delete(guarded);
        if (set.size === 0) this.prefixes.delete(prefix);
      };
    }
    this.emitter.on(pattern, guarded);
    return () => {
      this.emitter.off(pattern, guarded);
    };
  }

  publish(event: EventEnvelope): void {
    this.emitter.emit(event.type, event);
    for (const [prefix, handlers] of this.prefixes) {
      if (event.type.startsWith(prefix)) for (const h of handlers) h(event);
    }
    this.emitter.emit(ALL, event);
  }

  listenerCount(): number {
    let n = this.emitter.eventNames().reduce((sum, name) => sum + this.emitter.listenerCount(name), 0);
    for (const set of this.prefixes.values()) n += set.size;
    return n;
  }

  private guard(pattern: string, handler: BusHandler): BusHandler {
    return (event) => {
      try {
        const result = handler(event);
        if (result && typeof (result as Promise<void>).catch === 'function') {
          (result as Promise<void>).catch((error) => this.reportError(error, event, pattern));
        }
      } catch (error) {
        this.reportError(error, event, pattern);
      }
    };
  }

  private reportError(error: unknown, event: EventEnvelope, pattern: string): void {
    try {
      this.onError(error, event, pattern);
    } catch {
      // An error reporter that throws must not break delivery either.
    }
  }
}
