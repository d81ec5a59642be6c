// Rebuilds every read model from the event store: each projection, and each reaction that writes only its own tables.
import type { Statement } from 'better-sqlite3';
import type { StoredEvent } from '../events/envelope.js';
import { matchesAny } from '../events/patterns.js';
import type { Projection, Reaction } from './module.js';
import type { ModuleHost } from './ModuleHost.js';

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
  clear: Statement[];
  run(clear: () => void, progress: (position: number) => void): Promise<number> | number;
}

/**
 * Empties each read model's tables, forgets what its subscriber handled, and replays the log into it.
 * Run it with paybus stopped: another process writing the same file meanwhile would race the replay.
 * A projection is rebuilt in one transaction, so it is never seen half-built and a failure leaves it as it
 * was. A reaction's replay commits event by event with its checkpoint, exactly as live delivery does, so a
 * rebuild that stops half-way is finished by the reaction's own catch-up on the next start.
 */
export async function rebuildReadModels(app: { host: ModuleHost }, options: RebuildOptions = {}): Promise<RebuildResult> {
  const { host } = app;
  const head = host.parts.store.headPosition();
  // Prepared before anything changes, so a read model naming a table that does not exist fails the rebuild up front.
  const plans = [
    ...host.projections.map((p) => projectionPlan(host, p)),
    ...host.reactions.filter((r) => r.tables !== undefined).map((r) => reactionPlan(host, r)),
  ];
  const total = head * plans.length;
  const readModels: RebuiltReadModel[] = [];
  for (const [index, plan] of plans.entries()) {
    const report = (position: number) =>
      options.onProgress?.({ readModel: plan.name, done: index * head + Math.min(position, head), total });
    report(0);
    const events = await plan.run(() => plan.clear.forEach((statement) => statement.run()), report);
    report(head);
    readModels.push({ name: plan.name, kind: plan.kind, tables: plan.tables, events });
  }
  const skippedReactions = host.reactions.filter((r) => r.tables === undefined).map((r) => r.name);
  return { eventsInLog: head, readModels, skippedReactions };
}

function clearStatements(host: ModuleHost, owner: string, tables: readonly string[]): Statement[] {
  return tables.map((table) => {
    // Table names come from module code, never from input; still, refuse anything that is not a plain name.
    if (!TABLE_NAME.test(table)) throw new Error(`${owner} declares a table with an invalid name: ${JSON.stringify(table)}`);
    return host.parts.db.prepare(`DELETE FROM "${table}"`);
  });
}

function projectionPlan(host: ModuleHost, projection: Projection): Plan {
  const { db, ledger } = host.parts;
  return {
    name: projection.name,
    kind: 'projection',
    tables: [...projection.tables],
    clear: clearStatements(host, projection.name, projection.tables),
    run: (clear, progress) =>
      host.commit(() => {
        // References between read-model rows are checked at commit, once the replay has put them back.
        db.pragma('defer_foreign_keys = ON');
        clear();
        ledger.reset(projection.name);
        let applied = 0;
        const last = replayLog(host, projection.types, progress, (event) => {
          host.applyProjection(projection, event);
          applied++;
        });
        ledger.advance(projection.name, last);
        return applied;
      }),
  };
}

function reactionPlan(host: ModuleHost, reaction: Reaction): Plan {
  const { ledger } = host.parts;
  const subscriber = host.subscribers.get(reaction.name);
  if (!subscriber) throw new Error(`reaction ${reaction.name} has no subscriber in this host`);
  return {
    name: reaction.name,
    kind: 'reaction',
    tables: [...(reaction.tables ?? [])],
    clear: clearStatements(host, reaction.name, reaction.tables ?? []),
    run: async (clear, progress) => {
      host.commit(() => {
        clear();
        ledger.reset(reaction.name);
      });
      let handled = 0;
      // Through the host's subscriber, so the reaction's effects and its inbox/checkpoint commit together.
      const last = await replayLogAsync(host, reaction.types, progress, async (event) => {
        try {
          await subscriber.handle(event, 1);
        } catch (error) {
          throw new Error(`reaction ${reaction.name} failed on ${event.type} ${event.id} (position ${event.position}): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        }
        handled++;
      });
      // Past the last events even when they were not of its types, as its live catch-up would.
      if (last > 0) host.commit(() => ledger.advance(reaction.name, last));
      return handled;
    },
  };
}

/** Feeds every event of `types` to `apply` in position order; returns the last position read. */
function replayLog(host: ModuleHost, types: readonly string[], progress: (position: number) => void, apply: (event: StoredEvent) => void): number {
  let after = 0;
  for (let batch = readBatch(host, after); batch.length > 0; batch = readBatch(host, after)) {
    for (const event of batch) if (matchesAny(event.type, types)) apply(event);
    after = batch[batch.length - 1]!.position;
    progress(after);
  }
  return after;
}

async function replayLogAsync(host: ModuleHost, types: readonly string[], progress: (position: number) => void, apply: (event: StoredEvent) => Promise<void>): Promise<number> {
  let after = 0;
  for (let batch = readBatch(host, after); batch.length > 0; batch = readBatch(host, after)) {
    for (const event of batch) if (matchesAny(event.type, types)) await apply(event);
    after = batch[batch.length - 1]!.position;
    progress(after);
  }
  return after;
}

function readBatch(host: ModuleHost, after: number): StoredEvent[] {
  return host.parts.store.readAll({ after, limit: BATCH });
}
