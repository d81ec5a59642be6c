// HTTP routes of the analytics module: a read-only summary of what the log holds and how fast it is handled.
import type { Router } from 'express';
import type { AnalyticsRepository } from './AnalyticsRepository.js';
import { buildSummary } from './summarize.js';

export function analyticsRoutes(router: Router, repo: AnalyticsRepository): void {
  router.get('/analytics/summary', (_req, res) => {
    res.json(buildSummary(repo.counts(), repo.latenciesAscending()));
  });
}
