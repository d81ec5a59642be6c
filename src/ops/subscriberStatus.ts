// Each subscriber's progress: its checkpoint, how far the log head is past it, and what it still has to handle.
import { matchesAny } from '../events/patterns.js';
import type { DeadLetters } from '../runtime/DeadLetters.js';
import type { ModuleHost } from '../runtime/ModuleHost.js';
import type { SubscriberLedger } from '../runtime/SubscriberLedger.js';
import type { EventStore } from '../store/EventStore.js';
import type { OpsRepository } from './OpsRepository.js';

/** A subscriber further behind than this many events is reported as "at least" this far. */
const SCAN_LIMIT = 10_000;

export interface SubscriberStatus {
  subscriber: string;
  kind: 'projection' | 'reaction';
  types: string[];
  /** Global position of the last event it recorded (0: none yet). */
  checkpoint: number;
  checkpointAt: string | null;
  head: number;
  /** head − checkpoint: events of every type written since; most are not of its types. */
  lag: number;
  /** Events of its types after the checkpoint it has neither handled nor dead-lettered. */
  pending: number;
  /** True when the scan stopped at its limit, so `pending` is a lower bound. */
  pendingCapped: boolean;
  deadLetters: number;
}

/** What the status is read from. */
export interface StatusSources {
  host: Pick<ModuleHost, 'projections' | 'reactions'>;
  store: EventStore;
  ledger: SubscriberLedger;
  deadLetters: DeadLetters;
  repo: OpsRepository;
}

export async function subscriberStatuses({ host, store, ledger, deadLetters, repo }: StatusSources): Promise<SubscriberStatus[]> {
  const head = await store.headPosition();
  const checkpoints = new Map((await ledger.checkpoints()).map((c) => [c.subscriber, c]));
  const dead = await deadLetters.countBySubscriber();
  const all = [
    ...host.projections.map((p) => ({ name: p.name, types: p.types, kind: 'projection' as const })),
    ...host.reactions.map((r) => ({ name: r.name, types: r.types, kind: 'reaction' as const })),
  ];
  return Promise.all(all.map(async ({ name, types, kind }) => {
    const record = checkpoints.get(name);
    const checkpoint = record?.position ?? 0;
    const pending = (await repo.unhandledByType(name, checkpoint, SCAN_LIMIT))
      .filter((row) => matchesAny(row.type, types))
      .reduce((sum, row) => sum + row.count, 0);
    return {
      subscriber: name,
      kind,
      types: [...types],
      checkpoint,
      checkpointAt: record?.updatedAt ?? null,
      head,
      lag: Math.max(0, head - checkpoint),
      pending,
      pendingCapped: head - checkpoint > SCAN_LIMIT,
      deadLetters: dead[name] ?? 0,
    };
  }));
}
