// Rebuilds every read model from the event store: each projection, and each reaction that writes only its own tables.
import type { StoredEvent } from '../events/envelope.js';
import { matchesAny } from '../events/patterns.js';
import type { Storage, Transaction } from '../storage/Storage.js';
import { APPEND_LOCK, type EventStore } from '../store/EventStore.js';
import { logPages } from '../store/logPages.js';
import type { Projection, Reaction } from './module.js';
import type { ModuleHost } from './ModuleHost.js';
import type { SubscriberLedger } from './SubscriberLedger.js';
import { errorMessage } from '../errors.js';

const BATCH = 1000;
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface RebuildProgress {
  /** The projection or reaction being rebuilt now. */
  readModel: string;
  /** Log positions replayed so far, summed over all read models; reaches `total` at the end. */
  done: number;
  total: number;
}

export interface RebuildOptions {
  onProgress?(progress: RebuildProgress): void;
}

export interface RebuiltReadModel {
  name: string;
  kind: 'projection' | 'reaction';
  tables: string[];
  /** Events of its types it applied or handled. */
  events: number;
}

export interface RebuildResult {
  /** Events in the log when the rebuild started. */
  eventsInLog: number;
  readModels: RebuiltReadModel[];
  /** Reactions left alone because they have effects outside their tables (mail, events, live measurements). */
  skippedReactions: string[];
}

interface Plan {
  name: string;
  kind: RebuiltReadModel['kind'];
  tables: string[];
  run(progress: (position: number) => void): Promise<number>;
}

/** What a rebuild works on. */
export interface RebuildDeps {
  host: ModuleHost;
  storage: Storage;
  store: EventStore;
  ledger: SubscriberLedger;
}

/**
 * Empties each read model's tables, forgets what its subscriber handled, and replays the log into it.
 * Run it with paybus stopped: another process writing the same database meanwhile would race the replay.
 * A projection is rebuilt in one transaction, so it is never seen half-built and a failure leaves it as it
 * was. A reaction's replay commits event by event with its checkpoint, exactly as live delivery does, so a
 * rebuild that stops half-way is finished by the reaction's own catch-up on the next start.
 */
export async function rebuildReadModels(deps: RebuildDeps, options: RebuildOptions = {}): Promise<RebuildResult> {
  // One rebuild at a time across every process on the database (the admin API of any replica, the CLI).
  return deps.storage.withLock('rebuild', () => rebuild(deps, options));
}

async function rebuild(deps: RebuildDeps, options: RebuildOptions): Promise<RebuildResult> {
  const { host, store } = deps;
  const head = await store.headPosition();
  const eventsInLog = await store.count();
  // Every table checked before anything changes: a read model naming one that does not exist fails the whole
  // rebuild up front instead of after the read models before it were rebuilt.
  for (const model of [...host.projections, ...host.reactions]) await assertTables(deps, model.name, model.tables ?? []);
  const plans = [
    ...host.projections.map((p) => projectionPlan(deps, p)),
    ...host.reactions.filter((r) => r.tables !== undefined).map((r) => reactionPlan(deps, r)),
  ];
  const total = head * plans.length;
  const readModels: RebuiltReadModel[] = [];
  for (const [index, plan] of plans.entries()) {
    const report = (position: number) =>
      options.onProgress?.({ readModel: plan.name, done: index * head + Math.min(position, head), total });
    report(0);
    const events = await plan.run(report);
    report(head);
    readModels.push({ name: plan.name, kind: plan.kind, tables: plan.tables, events });
  }
  const skippedReactions = host.reactions.filter((r) => r.tables === undefined).map((r) => r.name);
  return { eventsInLog, readModels, skippedReactions };
}

async function assertTables({ storage }: RebuildDeps, owner: string, tables: readonly string[]): Promise<void> {
  for (const table of tables) {
    // Table names come from module code, never from input; still, refuse anything that is not a plain name.
    if (!TABLE_NAME.test(table)) throw new Error(`${owner} declares a table with an invalid name: ${JSON.stringify(table)}`);
    await storage.value(`SELECT 1 FROM "${table}" WHERE 1 = 0`).catch((error: unknown) => {
      throw new Error(`${owner} declares table ${table}, which does not exist: ${errorMessage(error)}`);
    });
  }
}

async function clearTables(tx: Transaction, tables: readonly string[]): Promise<void> {
  for (const table of tables) await tx.run(`DELETE FROM "${table}"`);
}

function projectionPlan({ host, store, ledger }: RebuildDeps, projection: Projection): Plan {
  const subscriber = host.subscribers.get(projection.name)!;
  return {
    name: projection.name,
    kind: 'projection',
    tables: [...projection.tables],
    run: (progress) =>
      host.commit(async (uow) => {
        // No event may commit while the projection is replayed: one appended meanwhile (PostgreSQL lets others write)
        // would be projected onto rows this transaction is emptying, and lost when it commits.
        await uow.tx.lock(APPEND_LOCK);
        await clearTables(uow.tx, projection.tables);
        await ledger.reset(uow.tx, projection.name);
        let applied = 0;
        // Read through the transaction: on SQLite a read outside it would wait for it to end.
        const last = await replayLog((after, limit) => store.readAll({ after, limit }, uow.tx), projection.types, progress, async (event) => {
          await subscriber.applyIn!(uow, event, 1);
          applied++;
        });
        await ledger.advance(uow.tx, projection.name, last);
        return applied;
      }),
  };
}

function reactionPlan({ host, store, ledger }: RebuildDeps, reaction: Reaction): Plan {
  const subscriber = host.subscribers.get(reaction.name);
  if (!subscriber) throw new Error(`reaction ${reaction.name} has no subscriber in this host`);
  return {
    name: reaction.name,
    kind: 'reaction',
    tables: [...(reaction.tables ?? [])],
    run: async (progress) => {
      await host.commit(async (uow) => {
        await clearTables(uow.tx, reaction.tables ?? []);
        await ledger.reset(uow.tx, reaction.name);
      });
      let handled = 0;
      // Through the host's subscriber, so the reaction's effects and its inbox record commit together.
      const last = await replayLog((after, limit) => store.readAll({ after, limit }), reaction.types, progress, async (event) => {
        try {
          await subscriber.handle(event, 1);
        } catch (error) {
          throw new Error(`reaction ${reaction.name} failed on ${event.type} ${event.id} (position ${event.position}): ${errorMessage(error)}`, { cause: error });
        }
        handled++;
      });
      // Past the last events even when they were not of its types, as its live catch-up would.
      if (last > 0) await host.commit((uow) => ledger.advance(uow.tx, reaction.name, last));
      return handled;
    },
  };
}

/** Feeds every event of `types` to `apply` in position order; returns the last position read. */
async function replayLog(
  read: (after: number, limit: number) => Promise<StoredEvent[]>,
  types: readonly string[],
  progress: (position: number) => void,
  apply: (event: StoredEvent) => Promise<void>,
): Promise<number> {
  let last = 0;
  for await (const page of logPages(read, 0, BATCH)) {
    for (const event of page) if (matchesAny(event.type, types)) await apply(event);
    last = page[page.length - 1]!.position;
    progress(last);
  }
  return last;
}
