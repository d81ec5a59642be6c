// The express app: JSON in, problem+json for every error, runtime routes and each module's routes.
import express, { type RequestHandler } from 'express';
import type { Logger } from 'pino';
import { authenticate } from '../auth/authenticate.js';
import type { Authenticator } from '../auth/Authenticator.js';
import { requireScope } from '../auth/guards.js';
import type { Config } from '../config.js';
import type { ModuleHost } from '../runtime/ModuleHost.js';
import type { Storage } from '../storage/Storage.js';
import type { EventStore } from '../store/EventStore.js';
import { correlation } from './correlation.js';
import { eventsRoute } from './eventsRoute.js';
import { idempotency } from './idempotency.js';
import type { IdempotencyKeys } from './IdempotencyKeys.js';
import { errorMapper, notFoundRoute, sendProblem } from './problem.js';
import { refuseNulCharacters } from './refuseNulCharacters.js';
import { requestLog } from './requestLog.js';
import type { RateLimitStore } from './rateLimitStore.js';
import { postRateLimit, securityHeaders } from './security.js';

export interface HttpDeps {
  config: Config;
  host: ModuleHost;
  store: EventStore;
  storage: Storage;
  /** The app's Idempotency-Key store (see idempotency.ts). */
  idempotencyKeys: IdempotencyKeys;
  log: Logger;
  jsonLimit?: string;
  /** Extra routers (admin, metrics) mounted before the modules. */
  extraRoutes?: ((router: express.Router) => void)[];
  /** Runs first, for every request (request metrics see even those the body parser refuses). */
  middleware?: RequestHandler[];
  /** Refuses POSTs while subscribers are too far behind (see shedLoad). */
  shed?: RequestHandler;
  /** Where the POST rate limit counts; absent when RATE_LIMIT_POST_PER_MINUTE is 0. */
  rateLimit?: RateLimitStore;
  /** Who is calling; absent when auth is off. */
  authenticator?: Authenticator;
}

export function createHttpApp(deps: HttpDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // First, so every answer carries the headers: 404s, problems and body-parser refusals included.
  app.use(securityHeaders());
  for (const m of deps.middleware ?? []) app.use(m);
  app.use(correlation);
  app.use(requestLog(deps.log));
  // Before the body is read: a client over its budget costs no parsing.
  if (deps.rateLimit) app.use(postRateLimit(deps.rateLimit));
  if (deps.shed) app.use(deps.shed);
  // Before the body is read and before any route: a caller that does not hold costs no parsing and reaches nothing.
  app.use(authenticate(deps.authenticator));
  app.use(express.json({ limit: deps.jsonLimit ?? '100kb' }));
  app.use(refuseNulCharacters);
  app.use(idempotency(deps.idempotencyKeys));

  const runtime = express.Router();
  runtime.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  runtime.get('/ready', (_req, res) => {
    if (deps.host.ready()) res.json({ status: 'ready' });
    else sendProblem(res, 503, 'Not ready', 'the event transport is not connected');
  });
  eventsRoute(runtime, deps.store, requireScope('events:read', { allUsers: true }));
  for (const extra of deps.extraRoutes ?? []) extra(runtime);
  app.use(runtime);

  deps.host.mountRoutes(app);
  app.use(notFoundRoute);
  app.use(errorMapper(deps.log));
  return app;
}
