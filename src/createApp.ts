// The composition root: builds the database, store, bus, processor, host, transport and HTTP app for one config.
import type { Server } from 'node:http';
import type express from 'express';
import type { Logger } from 'pino';
import { BrokerTransport } from './broker/BrokerTransport.js';
import { EventBus } from './bus/EventBus.js';
import type { Config } from './config.js';
import { type Db, openDatabase } from './db/openDatabase.js';
import { WalCheckpointer } from './db/WalCheckpointer.js';
import { runMigrations } from './db/migrate.js';
import { createHttpApp } from './http/createHttpApp.js';
import { createLogger } from './logger.js';
import { combineHooks, PaybusMetrics } from './ops/metrics.js';
import { opsRoutes } from './ops/opsRoutes.js';
import { secretsOf } from './ops/redact.js';
import { moduleDefinitions } from './modules.js';
import type { ModuleDefinition } from './runtime/module.js';
import { AsyncEventProcessor, type ProcessorHooks } from './runtime/AsyncEventProcessor.js';
import { DeadLetters } from './runtime/DeadLetters.js';
import { MemoryTransport } from './runtime/MemoryTransport.js';
import { type EventTransport, ModuleHost } from './runtime/ModuleHost.js';
import { SubscriberLedger } from './runtime/SubscriberLedger.js';
import { EventStore } from './store/EventStore.js';
import { Outbox } from './store/Outbox.js';
import { storeMigrations } from './store/tables.js';
import { runtimeMigrations } from './runtime/tables.js';

export interface AppOptions {
  log?: Logger;
  hooks?: ProcessorHooks;
  /** Modules loaded after those named in config.modules (tests, tools). */
  extraModules?: ModuleDefinition[];
  /** Builds the transport; the default follows config.eventTransport. */
  transport?: (app: Omit<PaybusApp, 'start' | 'stop' | 'listen'>) => EventTransport;
}

export interface PaybusApp {
  config: Config;
  log: Logger;
  db: Db;
  store: EventStore;
  outbox: Outbox;
  bus: EventBus;
  deadLetters: DeadLetters;
  processor: AsyncEventProcessor;
  host: ModuleHost;
  transport: EventTransport;
  http: express.Express;
  /** This app's Prometheus registry and instruments (GET /metrics). */
  metrics: PaybusMetrics;
  /** Starts delivery (catch-up included); resolves once the transport is up. */
  start(): Promise<void>;
  /** Serves HTTP on config.port (0 picks a free port). */
  listen(): Promise<Server>;
  /** Stops HTTP, finishes handlers in flight, stops the transport, closes the database. */
  stop(): Promise<void>;
}

export function createApp(config: Config, options: AppOptions = {}): PaybusApp {
  const log = options.log ?? createLogger(config.logLevel, undefined, secretsOf(config));
  const db = openDatabase(config.databasePath);
  const checkpointer = config.databasePath === ':memory:' ? undefined : new WalCheckpointer(config.databasePath, db);
  runMigrations(db, 'store', storeMigrations);
  runMigrations(db, 'runtime', runtimeMigrations);
  const store = new EventStore(db);
  const outbox = new Outbox(db);
  const bus = new EventBus((error, event, pattern) =>
    log.error({ err: error, eventId: event.id, eventType: event.type, correlationId: event.metadata.correlationId, pattern }, 'bus subscriber failed'),
  );
  const ledger = new SubscriberLedger(db);
  const deadLetters = new DeadLetters(db);
  const metrics = new PaybusMetrics();
  const processor = new AsyncEventProcessor(config.retry, deadLetters, log, combineHooks(metrics.hooks, options.hooks));
  const host = new ModuleHost({ config, db, store, outbox, ledger, processor, log });

  host.commitListeners.push(metrics.onCommit);
  host.load([...config.modules.map((name) => moduleDefinitions[name]), ...(options.extraModules ?? [])]);

  const base = { config, log, db, store, outbox, bus, deadLetters, processor, host, metrics, transport: undefined as unknown as EventTransport, http: undefined as unknown as express.Express };
  base.transport = options.transport ? options.transport(base) : defaultTransport(config, bus, log);
  metrics.bind(base);
  base.http = createHttpApp({ host, store, log, middleware: [metrics.httpMiddleware], extraRoutes: [opsRoutes(base, metrics)] });

  let server: Server | undefined;
  let stopped = false;
  return {
    ...base,
    start: () => host.start(base.transport),
    listen: () =>
      new Promise<Server>((resolve, reject) => {
        // Express 5 calls this back with the error too (EADDRINUSE): resolving then would report a server that never listened.
        const s = base.http.listen(config.port, (error?: Error) => (error ? reject(error) : resolve(s)));
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
      await checkpointer?.stop();
      db.close();
    },
  };
}

function defaultTransport(config: Config, bus: EventBus, log: Logger): EventTransport {
  if (config.eventTransport === 'rabbitmq') return new BrokerTransport(config, log);
  return new MemoryTransport(bus);
}
