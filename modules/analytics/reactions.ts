// The analytics subscribers: one counts every event (rebuildable), one samples live handling latency (not).
import type { EventEnvelope } from '../../src/events/envelope.js';
import type { Reaction, ReactionContext } from '../../src/runtime/module.js';
import type { AnalyticsRepository } from './AnalyticsRepository.js';
import { dayOf, latencyOf } from './summarize.js';
import { ANALYTICS_COUNT_TABLES } from './tables.js';

/**
 * Counts by type and day. It writes only its own tables, so it declares them: a rebuild empties them and
 * replays the log through it. ctx.commit records the event as handled in the same transaction, so a
 * redelivered event is never counted twice.
 */
export function countsReaction(repo: AnalyticsRepository): Reaction {
  return {
    name: 'analytics.counts',
    types: ['*'],
    tables: ANALYTICS_COUNT_TABLES,
    handle(event: EventEnvelope, ctx: ReactionContext) {
      const day = dayOf(event.occurredAt);
      ctx.commit(() => repo.countEvent(event.type, day));
    },
  };
}

/**
 * Samples occurredAt → handled. A separate subscriber WITHOUT `tables` on purpose: a replay would measure
 * the replay, not the system, so a rebuild must never run it; its samples survive a rebuild untouched.
 */
export function latencyReaction(repo: AnalyticsRepository, now: () => number = Date.now): Reaction {
  return {
    name: 'analytics.latency',
    types: ['*'],
    handle(event: EventEnvelope, ctx: ReactionContext) {
      const handledAt = now();
      ctx.commit(() => repo.recordLatency(event.id, latencyOf(event.occurredAt, handledAt), new Date(handledAt).toISOString()));
    },
  };
}
