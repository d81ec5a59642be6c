// Mounts the operations layer on the runtime router: /metrics, /dashboard and /admin (with auth on, or ADMIN_TOKEN set).
import type { RequestHandler, Router } from 'express';
import { requireScope } from '../auth/guards.js';
import { ADMIN_SCOPE } from '../auth/scopes.js';
import type { AppParts } from '../createApp.js';
import type { LagMonitor } from './LagMonitor.js';
import { adminAuth } from './adminAuth.js';
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
  const admin = adminGuard(parts);
  const status = { host: parts.host, store: parts.store, ledger: parts.ledger, deadLetters: parts.deadLetters, repo };
  return (router) => {
    router.get('/metrics', async (_req, res) => {
      res.type(metrics.registry.contentType).send(await metrics.text());
    });
    dashboardRoutes(router, {
      // With auth on the data is the admin's: the page (open) asks for it with the token it is given.
      dataGuard: parts.auth.enabled ? admin : undefined,
      ...status,
      outbox: parts.outbox,
      transport: parts.transport,
      lag: parts.lag,
      leases: parts.leases,
      ready: () => parts.host.ready(),
      metrics,
      secrets,
      eventTransport: parts.config.eventTransport,
      adminEnabled: admin !== undefined,
    });
    // Auth off and no ADMIN_TOKEN: no /admin route at all, so the whole tree answers 404 like any unknown path.
    if (admin === undefined) return;
    const deadLetters = new DeadLetterOps(parts.processor, secrets);
    adminRoutes(router, { guard: admin, host: parts.host, status, storage: parts.storage, leases: parts.leases, outbox: parts.outbox, deadLetters, secrets, log: parts.log.child({ component: 'admin' }) });
  };
}

/**
 * Who may use /admin: with auth on, a caller with the admin scope (ADMIN_TOKEN is one: src/auth/Authenticator.ts);
 * with auth off, ADMIN_TOKEN alone, as before auth existed; neither: nobody.
 */
function adminGuard(parts: OpsParts): RequestHandler | undefined {
  if (parts.auth.enabled) return requireScope(ADMIN_SCOPE, { allUsers: true });
  return parts.config.adminToken === undefined ? undefined : adminAuth(parts.config.adminToken);
}
