// Loads the modules: builds each one, registers its projections (run inline by every unit of work) and reactions
// (run by the transport), mounts its routes, and starts and stops delivery and background jobs around them.
import express from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { StoredEvent } from '../events/envelope.js';
import type { MigrationSet } from '../storage/migrate.js';
import type { Storage } from '../storage/Storage.js';
import type { EventStore } from '../store/EventStore.js';
import type { AsyncEventProcessor } from './AsyncEventProcessor.js';
import type { Instance } from './Instance.js';
import type { Leases } from './Leases.js';
import { jobHold, Ownership, type OwnershipHandlers } from './Ownership.js';
import { BackgroundJobs } from './BackgroundJobs.js';
import { BatchRunner, type BatchRunnerOptions } from './BatchRunner.js';
import { catchUpProjections } from './catchUpProjections.js';
import type { EventTransport, Step, Subscriptions } from './EventTransport.js';
import type { CommitOptions, ModuleDefinition, ModuleDeps, PaybusModule, Projection, Reaction, UnitOfWork } from './module.js';
import type { SubscriberLedger } from './SubscriberLedger.js';
import { type ProcessedSubscriber, projectionSubscriber, reactionSubscriber } from './subscribers.js';
import type { UnitsOfWork } from './UnitOfWork.js';

export interface HostDeps {
  config: Config;
  instance: Instance;
  leases: Leases;
  /** Told when this process takes or loses a job it must hold alone (metrics). */
  ownershipChanged?(name: string, held: boolean): void;
  storage: Storage;
  store: EventStore;
  units: UnitsOfWork;
  ledger: SubscriberLedger;
  processor: AsyncEventProcessor;
  log: Logger;
  /** Binds a route's own Idempotency-Key guard to the app's keys (ModuleDeps.idempotentRequest). */
  idempotentRequest: ModuleDeps['idempotentRequest'];
}

export class ModuleHost {
  readonly modules: PaybusModule[] = [];
  readonly projections: Projection[] = [];
  readonly reactions: Reaction[] = [];
  /** Every projection and reaction of this process as the processor runs it, by name. */
  readonly subscribers = new Map<string, ProcessedSubscriber>();
  /** Called after every commit that appended events (metrics, tests). */
  readonly commitListeners: ((events: readonly StoredEvent[]) => void)[] = [];
  private transport: EventTransport | undefined;
  private readonly jobs: BackgroundJobs;

  constructor(private readonly deps: HostDeps) {
    this.jobs = new BackgroundJobs(deps.log, (name, kind, handlers) => this.own(name, kind, handlers));
  }

  /** The tables each module needs, to create before `load`. */
  static migrationsOf(definitions: readonly ModuleDefinition[]): MigrationSet[] {
    return definitions.map((d) => ({ owner: d.name, migrations: d.migrations }));
  }

  /** Builds and registers modules, in the order given; their tables must exist. */
  load(definitions: readonly ModuleDefinition[]): void {
    const { config, instance, storage, store, units, log, idempotentRequest } = this.deps;
    const subscriberDeps = { commit: units.commit, ledger: this.deps.ledger, log };
    for (const def of definitions) {
      const parts = def.create({ config, instance, db: storage, store, commit: units.commit, log: log.child({ module: def.name }), idempotentRequest });
      const mod: PaybusModule = { name: def.name, ...parts };
      this.modules.push(mod);
      for (const projection of mod.projections ?? []) {
        const subscriber = this.register(projectionSubscriber(projection, subscriberDeps));
        this.projections.push(projection);
        units.inline.push({ projection, subscriber });
      }
      for (const reaction of mod.reactions ?? []) {
        this.register(reactionSubscriber(reaction, subscriberDeps));
        this.reactions.push(reaction);
      }
    }
  }

  mountRoutes(app: express.Express): void {
    for (const mod of this.modules) {
      if (!mod.routes) continue;
      const router = express.Router();
      mod.routes(router);
      app.use(router);
    }
  }

  /** The host's one write path (see UnitsOfWork). */
  commit<T>(fn: (uow: UnitOfWork) => Promise<T>, options?: CommitOptions): Promise<T> {
    return this.deps.units.commit(fn, options);
  }

  /** After every commit that appended events, in commit order: the transport, then the listeners. */
  committed(events: readonly StoredEvent[], outboxIds: readonly number[]): void {
    this.transport?.afterCommit(events, outboxIds);
    for (const listener of this.commitListeners) listener(events);
  }

  /** Replays the log into the projections that are behind it (all, or `only`). */
  catchUpProjections(only?: readonly Projection[]): Promise<number> {
    const inline = this.deps.units.inline.filter((p) => !only || only.includes(p.projection));
    return catchUpProjections(inline, { store: this.deps.store, ledger: this.deps.ledger, commit: this.deps.units.commit });
  }

  /** Projections catch up, delivery starts (its catch-up runs on in the background), then the modules' jobs. */
  async start(transport: EventTransport): Promise<void> {
    await this.catchUpProjections();
    this.transport = transport;
    await transport.start(this.subscriptions());
    this.jobs.start(this.modules.flatMap((m) => (m.jobs ?? []).map((job) => ({ module: m.name, job }))));
  }

  idle(): Promise<void> {
    return this.transport?.idle() ?? Promise.resolve();
  }

  ready(): boolean {
    return this.transport?.ready() ?? false;
  }

  async stop(): Promise<void> {
    await this.jobs.stop();
    this.deps.processor.stop();
    await this.transport?.stop();
    for (const mod of this.modules) await mod.stop?.();
  }

  private register(subscriber: ProcessedSubscriber): ProcessedSubscriber {
    this.subscribers.set(subscriber.name, subscriber);
    this.deps.processor.register(subscriber);
    return subscriber;
  }

  /** SUBSCRIBER_CONCURRENCY's override for `name`, else what its reaction declares, else the default. */
  private concurrencyOf(name: string): number {
    const { concurrency } = this.deps.config;
    return concurrency.bySubscriber[name] ?? this.reactions.find((r) => r.name === name)?.concurrency ?? concurrency.default;
  }

  private subscriptions(): Subscriptions {
    const step = (s: { name: string; types: string[] }): Step => ({ subscriber: this.subscribers.get(s.name)!, types: s.types });
    const { units, processor, log } = this.deps;
    return {
      reactions: this.reactions.map(step),
      // Projections first, as inline: a reaction of the same module may read what its projection keeps.
      modules: this.modules.map((module) => ({ module, steps: [...(module.projections ?? []), ...(module.reactions ?? [])].map(step) })),
      runner: (name: string, options?: BatchRunnerOptions) =>
        new BatchRunner(name, { commit: units.commit, processor, log }, { concurrency: this.concurrencyOf(name), ...options }),
      own: (name: string, kind: 'lease' | 'lock', handlers: OwnershipHandlers) => this.own(name, kind, handlers),
    };
  }

  /** A job held by one process at a time; a standby tries again every fifth of a lease (a second at most). */
  own(name: string, kind: 'lease' | 'lock', handlers: OwnershipHandlers): Ownership {
    const { storage, leases, log, ownershipChanged } = this.deps;
    const changed = (held: boolean) => {
      log.info({ job: name, instance: this.deps.instance.id }, held ? 'this process now holds the job' : 'this process no longer holds the job');
      ownershipChanged?.(name, held);
      handlers.changed?.(held);
    };
    return new Ownership(name, jobHold(storage, leases, name, kind), { ...handlers, changed }, Math.min(1000, leases.ttlMs / 5), log);
  }
}
