// The /admin API: dead letters, outbox, subscribers, rebuilds, behind the guard opsRoutes picks.
import type { RequestHandler, Router } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ConflictError, NotFoundError } from '../errors.js';
import { parseIdParam, parseWith } from '../http/validate.js';
import type { Leases } from '../runtime/Leases.js';
import type { ModuleHost } from '../runtime/ModuleHost.js';
import type { Storage } from '../storage/Storage.js';
import { rebuildReadModels } from '../runtime/rebuild.js';
import type { Outbox } from '../store/Outbox.js';
import type { DeadLetterOps } from './deadLetterOps.js';
import { redactSecrets } from './redact.js';
import { type StatusSources, subscriberStatuses } from './subscriberStatus.js';

export interface AdminDeps {
  /** Lets only the admin through (the admin scope, or ADMIN_TOKEN with auth off). */
  guard: RequestHandler;
  host: ModuleHost;
  outbox: Outbox;
  deadLetters: DeadLetterOps;
  status: StatusSources;
  storage: Storage;
  leases: Leases;
  secrets: readonly string[];
  log: Logger;
}

const subscriberName = z.string().min(1).max(200);
const listQuery = z
  .object({
    subscriber: subscriberName.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    offset: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  })
  .strict();
const retryAllQuery = z.object({ subscriber: subscriberName.optional() }).strict();

export function adminRoutes(router: Router, deps: AdminDeps): void {
  router.use('/admin', deps.guard);
  deadLetterRoutes(router, deps);

  router.get('/admin/outbox', async (_req, res) => {
    const status = await deps.outbox.status();
    const age = status.oldestPendingAt ? Math.max(0, (Date.now() - Date.parse(status.oldestPendingAt)) / 1000) : null;
    res.json({
      pending: status.pending,
      oldestPendingAt: status.oldestPendingAt,
      oldestPendingAgeSeconds: age,
      lastError: status.lastError && redactSecrets(status.lastError, deps.secrets),
    });
  });

  router.get('/admin/subscribers', async (_req, res) => {
    // `leases`: who holds each job that one process at a time runs (memory-mode reactions, the relay, jobs), and since when.
    res.json({ head: await deps.status.store.headPosition(), items: await subscriberStatuses(deps.status), leases: await deps.leases.list() });
  });

  let rebuilding = false;
  router.post('/admin/projections/rebuild', async (_req, res) => {
    // Two replays of the same read model at once would empty each other's work.
    if (rebuilding) throw new ConflictError('a rebuild is already running');
    rebuilding = true;
    try {
      deps.log.info('read-model rebuild requested through the admin API');
      const result = await rebuildReadModels({ host: deps.host, storage: deps.storage, store: deps.status.store, ledger: deps.status.ledger });
      deps.log.info({ readModels: result.readModels.length, events: result.eventsInLog }, 'read-model rebuild finished');
      res.json(result);
    } finally {
      rebuilding = false;
    }
  });
}

function deadLetterRoutes(router: Router, deps: AdminDeps): void {
  const ops = deps.deadLetters;
  router.get('/admin/dead-letters', async (req, res) => {
    const q = parseWith(listQuery, req.query, 'query');
    res.json({ items: await ops.list(q), total: await ops.total(q.subscriber), limit: q.limit, offset: q.offset });
  });

  router.post('/admin/dead-letters/retry-all', async (req, res) => {
    const q = parseWith(retryAllQuery, req.query, 'query');
    const result = await ops.retryAll(q.subscriber);
    deps.log.info({ subscriber: q.subscriber ?? null, retried: result.retried, handled: result.handled, failed: result.failed }, 'dead letters retried');
    res.json(result);
  });

  router.get('/admin/dead-letters/:id', async (req, res) => {
    const id = parseIdParam(req.params.id, 'dead letter');
    const letter = await ops.get(id);
    if (!letter) throw new NotFoundError(`no dead letter ${id}`);
    res.json(letter);
  });

  router.post('/admin/dead-letters/:id/retry', async (req, res) => {
    const id = parseIdParam(req.params.id, 'dead letter');
    const result = await ops.retry(id);
    deps.log.info({ deadLetterId: id, outcome: result.outcome }, 'dead letter retried');
    // 200 either way: the retry ran; whether the handler succeeded this time is the outcome, not an HTTP error.
    res.json(result);
  });

  router.delete('/admin/dead-letters/:id', async (req, res) => {
    const id = parseIdParam(req.params.id, 'dead letter');
    await ops.discard(id);
    deps.log.info({ deadLetterId: id }, 'dead letter discarded');
    res.status(204).end();
  });
}
