// Mounts the operations layer on the runtime router: /metrics, /dashboard and, when ADMIN_TOKEN is set, /admin.
import type { Router } from 'express';
import type { AppParts } from '../createApp.js';
import type { LagMonitor } from './LagMonitor.js';
import { adminRoutes } from './adminRoutes.js';
import { dashboardRoutes } from './dashboardRoute.js';
import { DeadLetterOps } from './deadLetterOps.js';
import type { PaybusMetrics } from './metrics.js';
import { OpsRepository } from './OpsRepository.js';
import { secretsOf } from './redact.js';

export interface OpsParts extends AppParts {
  transport: unknown;
  lag: LagMonitor;
}

export function opsRoutes(parts: OpsParts, metrics: PaybusMetrics): (router: Router) => void {
  const repo = new OpsRepository(parts.storage);
  const secrets = secretsOf(parts.config);
  const adminToken = parts.config.adminToken;
  const status = { host: parts.host, store: parts.store, ledger: parts.ledger, deadLetters: parts.deadLetters, repo };
  return (router) => {
    router.get('/metrics', async (_req, res) => {
      res.type(metrics.registry.contentType).send(await metrics.text());
    });
    dashboardRoutes(router, {
      ...status,
      outbox: parts.outbox,
      transport: parts.transport,
      lag: parts.lag,
      leases: parts.leases,
      ready: () => parts.host.ready(),
      metrics,
      secrets,
      eventTransport: parts.config.eventTransport,
      adminEnabled: adminToken !== undefined,
    });
    // Unset token: no /admin route at all, so the whole tree answers 404 like any unknown path.
    if (adminToken === undefined) return;
    const deadLetters = new DeadLetterOps(parts.processor, secrets);
    adminRoutes(router, { adminToken, host: parts.host, status, storage: parts.storage, leases: parts.leases, outbox: parts.outbox, deadLetters, secrets, log: parts.log.child({ component: 'admin' }) });
  };
}
