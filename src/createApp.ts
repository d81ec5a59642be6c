// The composition root: opens the storage, creates its tables, and builds the store, bus, processor, host,
// transport and HTTP app for one config.
import type { Server } from 'node:http';
import type express from 'express';
import type { Logger } from 'pino';
import { BrokerTransport } from './broker/BrokerTransport.js';
import { EventBus } from './bus/EventBus.js';
import type { Config } from './config.js';
import { createHttpApp } from './http/createHttpApp.js';
import { idempotencyMigrations } from './http/idempotency.js';
import { createLogger } from './logger.js';
import { combineHooks, PaybusMetrics } from './ops/metrics.js';
import { opsRoutes } from './ops/opsRoutes.js';
import { secretsOf } from './ops/redact.js';
import { moduleDefinitions } from './modules.js';
import type { ModuleDefinition } from './runtime/module.js';
import { AsyncEventProcessor, type ProcessorHooks } from './runtime/AsyncEventProcessor.js';
import { DeadLetters } from './runtime/DeadLetters.js';
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
}

/** Everything an app is made of, before it starts. */
export interface AppParts {
  config: Config;
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
  try {
    await runMigrations(storage, [
      { owner: 'store', migrations: storeMigrations },
      { owner: 'runtime', migrations: runtimeMigrations },
      { owner: 'idempotency', migrations: idempotencyMigrations },
      ...ModuleHost.migrationsOf(definitions),
    ]);
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
  const host = new ModuleHost({ config, storage, store, units, ledger, processor, log });
  host.commitListeners.push(metrics.onCommit);
  host.load(definitions);

  const parts: AppParts = { config, log, storage, store, outbox, bus, ledger, deadLetters, processor, host, metrics };
  const transport = options.transport ? options.transport(parts) : defaultTransport(parts);
  metrics.bind({ deadLetters, outbox, processor, transport });
  const http = createHttpApp({ host, store, storage, config, log, middleware: [metrics.httpMiddleware], extraRoutes: [opsRoutes({ ...parts, transport }, metrics)] });

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
      await host.stop();
      await storage.close();
    },
  };
}

function defaultTransport({ config, bus, log, store, ledger, outbox, host, storage }: AppParts): EventTransport {
  if (config.eventTransport === 'rabbitmq') return new BrokerTransport(config, outbox, log);
  const commit = host.commit.bind(host);
  // SQLite: this process is the only writer, so its bus sees every event in order; PostgreSQL: read the log.
  return new MemoryTransport(bus, { store, ledger, outbox, commit, log, feed: { useBus: storage.engine === 'sqlite' } });
}
