// Replays the log into projections that are behind it (a module added later, a rebuild), a page a transaction.
import { matchesAny } from '../events/patterns.js';
import type { EventStore } from '../store/EventStore.js';
import { logPages } from '../store/logPages.js';
import type { Commit } from './module.js';
import type { SubscriberLedger } from './SubscriberLedger.js';
import type { InlineProjection } from './UnitOfWork.js';

const PAGE = 1000;

export async function catchUpProjections(projections: readonly InlineProjection[], deps: { store: EventStore; ledger: SubscriberLedger; commit: Commit }): Promise<number> {
  const { store, ledger, commit } = deps;
  let applied = 0;
  for (const { projection, subscriber } of projections) {
    const from = await ledger.checkpoint(projection.name);
    for await (const page of logPages((after, limit) => store.readAll({ after, limit }), from, PAGE)) {
      const last = page[page.length - 1]!.position;
      await commit(async (uow) => {
        for (const event of page) {
          if (!matchesAny(event.type, projection.types)) continue;
          await subscriber.applyIn!(uow, event, 1);
          applied++;
        }
        await ledger.advance(uow.tx, projection.name, last);
      });
    }
  }
  return applied;
}
