// The analytics subscribers: one counts every event (rebuildable), one samples live handling latency (not).
import type { TransactionalReaction } from '../../src/moduleKit.js';
import { analyticsRepository as analytics } from './analyticsRepository.js';
import { dayOf, latencyOf } from './summarize.js';
import { ANALYTICS_COUNT_TABLES } from './tables.js';

/**
 * Counts by type and day. It writes only its own tables, so it declares them: a rebuild empties them and
 * replays the log through it. The count commits with the record that the event was handled, so a redelivered
 * event is never counted twice.
 */
export const countsReaction: TransactionalReaction = {
  name: 'analytics.counts',
  types: ['*'],
  tables: ANALYTICS_COUNT_TABLES,
  async apply(event, { tx }) {
    await analytics.countEvent(tx, event.type, dayOf(event.occurredAt));
  },
};

/**
 * Samples occurredAt → handled. A separate subscriber WITHOUT `tables` on purpose: a replay would measure
 * the replay, not the system, so a rebuild must never run it; its samples survive a rebuild untouched.
 */
export function latencyReaction(now: () => number = Date.now): TransactionalReaction {
  return {
    name: 'analytics.latency',
    types: ['*'],
    async apply(event, { tx }) {
      const handledAt = now();
      await analytics.recordLatency(tx, event.id, latencyOf(event.occurredAt, handledAt), new Date(handledAt).toISOString());
    },
  };
}
