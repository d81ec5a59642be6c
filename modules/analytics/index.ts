// The analytics module's only public face.
import type { ModuleDefinition } from '../../src/runtime/module.js';
import { AnalyticsRepository } from './AnalyticsRepository.js';
import { countsReaction, latencyReaction } from './reactions.js';
import { analyticsRoutes } from './routes.js';
import { analyticsMigrations } from './tables.js';

export type { AnalyticsSummary } from './summarize.js';

export const analyticsModule: ModuleDefinition = {
  name: 'analytics',
  migrations: analyticsMigrations,
  create({ db }) {
    const repo = new AnalyticsRepository(db);
    return {
      reactions: [countsReaction(repo), latencyReaction(repo)],
      routes: (router) => analyticsRoutes(router, repo),
    };
  },
};

// Pure rules and the pieces their unit tests drive; no other module may import them (test/architecture.unit.spec.ts).
export { AnalyticsRepository } from './AnalyticsRepository.js';
export { buildSummary, dayOf, latencyOf, percentile } from './summarize.js';
export { analyticsMigrations } from './tables.js';
