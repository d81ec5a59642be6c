// The analytics module's only public face.
import type { ModuleDefinition } from '../../src/moduleKit.js';
import { countsReaction, latencyReaction } from './reactions.js';
import { analyticsRoutes } from './routes.js';
import { analyticsMigrations } from './tables.js';

export type { AnalyticsSummary } from './summarize.js';

export const analyticsModule: ModuleDefinition = {
  name: 'analytics',
  migrations: analyticsMigrations,
  create({ db }) {
    return {
      reactions: [countsReaction, latencyReaction()],
      routes: (router) => analyticsRoutes(router, db),
    };
  },
};

// Pure rules and the pieces their unit tests drive; no other module may import them (test/architecture.unit.spec.ts).
export { analyticsRepository, LATENCY_WINDOW } from './analyticsRepository.js';
export { buildSummary, dayOf, latencyOf, latencySummary, percentile } from './summarize.js';
export { analyticsMigrations } from './tables.js';
