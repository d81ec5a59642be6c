// HTTP routes of the analytics module: a read-only summary of what the log holds and how fast it is handled.
import type { Router } from 'express';
import { requireScope, type Sql } from '../../src/moduleKit.js';
import { analyticsRepository as analytics } from './analyticsRepository.js';
import { buildSummary } from './summarize.js';

export function analyticsRoutes(router: Router, db: Sql): void {
  // Counts over every user's events: never for a token bound to one user.
  router.get('/analytics/summary', requireScope('analytics:read', { allUsers: true }), async (_req, res) => {
    res.json(buildSummary(await analytics.counts(db), await analytics.latencyPercentiles(db)));
  });
}
