// Mounts the operations layer on the runtime router: /metrics, /dashboard and, when ADMIN_TOKEN is set, /admin.
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Db } from '../db/openDatabase.js';
import type { AsyncEventProcessor } from '../runtime/AsyncEventProcessor.js';
import type { ModuleHost } from '../runtime/ModuleHost.js';
import type { Outbox } from '../store/Outbox.js';
import { adminRoutes } from './adminRoutes.js';
import { dashboardRoutes } from './dashboardRoute.js';
import { DeadLetterOps } from './deadLetterOps.js';
import type { PaybusMetrics } from './metrics.js';
import { OpsRepository } from './OpsRepository.js';
import { secretsOf } from './redact.js';

export interface OpsParts {
  config: Config;
  db: Db;
  host: ModuleHost;
  outbox: Outbox;
  processor: AsyncEventProcessor;
  transport: unknown;
  log: Logger;
}

export function opsRoutes(parts: OpsParts, metrics: PaybusMetrics): (router: Router) => void {
  const repo = new OpsRepository(parts.db);
  const secrets = secretsOf(parts.config);
  const adminToken = parts.config.adminToken;
  return (router) => {
    router.get('/metrics', async (_req, res) => {
      res.type(metrics.registry.contentType).send(await metrics.text());
    });
    dashboardRoutes(router, {
      host: parts.host,
      outbox: parts.outbox,
      // Read at request time: the transport is built after the routes are declared.
      get transport() {
        return parts.transport;
      },
      metrics,
      repo,
      secrets,
      eventTransport: parts.config.eventTransport,
      adminEnabled: adminToken !== undefined,
    });
    // Unset token: no /admin route at all, so the whole tree answers 404 like any unknown path.
    if (adminToken === undefined) return;
    const deadLetters = new DeadLetterOps(parts.processor, secrets);
    adminRoutes(router, { adminToken, host: parts.host, outbox: parts.outbox, deadLetters, repo, secrets, log: parts.log.child({ component: 'admin' }) });
  };
}
