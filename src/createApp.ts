// The composition root: opens the storage, creates its tables, and builds the store, bus, processor, host,
// transport and HTTP app for one config.
import type { Server } from 'node:http';
import type express from 'express';
import type { Logger } from 'pino';
import { apiKeyMigrations } from './auth/ApiKeys.js';
import { type AuthOptions, type AuthState, openAuth } from './auth/openAuth.js';
import { BrokerTransport } from './broker/BrokerTransport.js';
import { EventBus } from './bus/EventBus.js';
import type { Config } from './config.js';
import { createHttpApp } from './http/createHttpApp.js';
import { shedLoad } from './http/shedLoad.js';
import { idempotentRequest } from './http/idempotency.js';
import { IdempotencyKeys, idempotencyMigrations } from './http/IdempotencyKeys.js';
import { openRateLimitStore, type RateLimitStore } from './http/rateLimitStore.js';
import { createLogger } from './logger.js';
import { LagMonitor } from './ops/LagMonitor.js';
import { combineHooks, PaybusMetrics } from './ops/metrics.js';
import { opsRoutes } from './ops/opsRoutes.js';
import { secretsOf } from './ops/redact.js';
import { moduleDefinitions } from './modules.js';
import type { ModuleDefinition } from './runtime/module.js';
import { AsyncEventProcessor, type ProcessorHooks } from './runtime/AsyncEventProcessor.js';
import { DeadLetters } from './runtime/DeadLetters.js';
import { createInstance, type Instance } from './runtime/Instance.js';
import { leaseMigrations, Leases } from './runtime/Leases.js';
import type { EventTransport } from './runtime/EventTransport.js';
import { MemoryTransport } from './runtime/MemoryTransport.js';
import { ModuleHost } from './runtime/ModuleHost.js';
import { SubscriberLedger } from './runtime/SubscriberLedger.js';
import { runtimeMigrations } from './runtime/tables.js';
import { UnitsOfWork } from './runtime/UnitOfWork.js';
import { runMigrations } from './storage/migrate.js';
import { openStorage } from './storage/openStorage.js';
import type { Storage } from './storage/Storage.js';
import { EventStore } from './store/EventStore.js';
import { Outbox } from './store/Outbox.js';
import { storeMigrations } from './store/tables.js';

export interface AppOptions {
  log?: Logger;
  hooks?: ProcessorHooks;
  /** Modules loaded after those named in config.modules (tests, tools). */
  extraModules?: ModuleDefinition[];
  /** Builds the transport; the default follows config.eventTransport. */
  transport?: (app: AppParts) => EventTransport;
  /** The POST rate limit's window (default 60 s) and Redis key prefix (tests sharing one Redis keep apart by it). */
  rateLimit?: { windowSeconds?: number; keyPrefix?: string };
  /** Knobs of token checking (tests: how soon a rotated key is fetched). */
  auth?: AuthOptions;
}

/** Everything an app is made of, before it starts. */
export interface AppParts {
  config: Config;
  /** This process among the others on the same database. */
  instance: Instance;
  /** Who holds which job (subscribers, relay, background jobs) among the processes on the database. */
  leases: Leases;
  log: Logger;
  storage: Storage;
  store: EventStore;
  outbox: Outbox;
  bus: EventBus;
  ledger: SubscriberLedger;
  deadLetters: DeadLetters;
  processor: AsyncEventProcessor;
  host: ModuleHost;
  /** This app's Prometheus registry and instruments (GET /metrics). */
  metrics: PaybusMetrics;
  /** Whether callers must authenticate, and how (src/auth). */
  auth: AuthState;
}

export interface PaybusApp extends AppParts {
  transport: EventTransport;
  http: express.Express;
  /** Starts delivery (catch-up included) and the modules' jobs; resolves once the transport is up. */
  start(): Promise<void>;
  /** Serves HTTP on config.port (0 picks a free port). */
  listen(): Promise<Server>;
  /** Stops HTTP, finishes handlers in flight, stops the transport, closes the database. */
  stop(): Promise<void>;
}

export async function createApp(config: Config, options: AppOptions = {}): Promise<PaybusApp> {
  const log = options.log ?? createLogger(config.logLevel, undefined, secretsOf(config));
  const storage = await openStorage(config, (error) => log.error({ err: error }, 'storage: a callback or an idle connection failed'));
  const definitions = [...config.modules.map((name) => moduleDefinitions[name]), ...(options.extraModules ?? [])];
  let rateLimit: RateLimitStore | undefined;
  let auth: AuthState;
  try {
    await runMigrations(storage, [
      { owner: 'store', migrations: storeMigrations },
      { owner: 'runtime', migrations: runtimeMigrations },
      { owner: 'idempotency', migrations: idempotencyMigrations },
      { owner: 'leases', migrations: leaseMigrations },
      { owner: 'auth', migrations: apiKeyMigrations },
      ...ModuleHost.migrationsOf(definitions),
    ]);
    auth = await openAuth(config, storage, log, options.auth);
    rateLimit = await openPostRateLimit(config, storage, log, options.rateLimit);
  } catch (error) {
    await storage.close();
    throw error;
  }
  const store = new EventStore(storage);
  const outbox = new Outbox(storage);
  const bus = new EventBus((error, event, pattern) =>
    log.error({ err: error, eventId: event.id, eventType: event.type, correlationId: event.metadata.correlationId, pattern }, 'bus subscriber failed'),
  );
  const ledger = new SubscriberLedger(storage);
  const deadLetters = new DeadLetters(storage);
  const metrics = new PaybusMetrics();
  const processor = new AsyncEventProcessor(config.retry, deadLetters, log, combineHooks(metrics.hooks, options.hooks));
  const units = new UnitsOfWork({ storage, store, outbox, committed: (events, outboxIds) => host.committed(events, outboxIds) });
  const instance = createInstance();
  const leases = new Leases(storage, instance, config.leaseTtlMs);
  // One per app (never per module, never module-level): keys this process answers carry its id and a lease.
  const idempotencyKeys = new IdempotencyKeys(storage, instance.id, config.leaseTtlMs);
  const host = new ModuleHost({
    config,
    instance,
    leases,
    storage,
    store,
    units,
    ledger,
    processor,
    log,
    ownershipChanged: metrics.ownershipChanged,
    idempotentRequest: (hashOf) => idempotentRequest(idempotencyKeys, hashOf),
  });
  host.commitListeners.push(metrics.onCommit);
  host.load(definitions);

  const parts: AppParts = { config, instance, leases, log, storage, store, outbox, bus, ledger, deadLetters, processor, host, metrics, auth };
  const transport = options.transport ? options.transport(parts) : defaultTransport(parts);
  const lag = new LagMonitor(transport);
  if (config.shedLagEvents > 0) lag.watch();
  metrics.bind({ deadLetters, outbox, processor, transport, lag });
  const http = createHttpApp({
    host,
    store,
    storage,
    idempotencyKeys,
    config,
    log,
    middleware: [metrics.httpMiddleware],
    shed: shedLoad({ limit: config.shedLagEvents, lag: () => lag.latest() }),
    rateLimit,
    authenticator: auth.authenticator,
    extraRoutes: [opsRoutes({ ...parts, transport, lag }, metrics)],
  });

  let server: Server | undefined;
  let stopped = false;
  return {
    ...parts,
    transport,
    http,
    start: () => host.start(transport),
    listen: () =>
      new Promise<Server>((resolve, reject) => {
        // Express 5 calls this back with the error too (EADDRINUSE): resolving then would report a server that never listened.
        const s = http.listen(config.port, (error?: Error) => (error ? reject(error) : resolve(s)));
        server = s;
      }),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      if (server) {
        const closing = new Promise<void>((resolve) => server!.close(() => resolve()));
        server.closeIdleConnections();
        await closing;
      }
      lag.stop();
      await rateLimit?.close();
      await host.stop();
      await storage.close();
    },
  };
}

/** Off at 0; otherwise counted in Redis, PostgreSQL or memory (see openRateLimitStore), said once at start. */
async function openPostRateLimit(config: Config, storage: Storage, log: Logger, options: AppOptions['rateLimit'] = {}): Promise<RateLimitStore | undefined> {
  if (config.rateLimitPostPerMinute <= 0) return undefined;
  const store = await openRateLimitStore({ points: config.rateLimitPostPerMinute, windowSeconds: options.windowSeconds ?? 60, redisUrl: config.redisUrl, storage, log, keyPrefix: options.keyPrefix });
  log.info(`POST rate limit: ${store.points} per ${store.windowSeconds} s per client address, counted in ${store.description}`);
  return store;
}

function defaultTransport({ config, bus, log, store, ledger, outbox, host, storage }: AppParts): EventTransport {
  if (config.eventTransport === 'rabbitmq') return new BrokerTransport(config, outbox, log, { listenForCommits: storage.listenForCommits?.bind(storage) });
  const commit = host.commit.bind(host);
  // SQLite: this process is the only writer, so its bus sees every event in order; PostgreSQL: read the log.
  const listenForCommits = storage.listenForCommits?.bind(storage);
  return new MemoryTransport(bus, { store, ledger, outbox, commit, log, listenForCommits, feed: { useBus: storage.engine === 'sqlite', highWater: config.mailbox } });
}
