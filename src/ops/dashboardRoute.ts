// GET /dashboard (the page and its static files) and GET /dashboard/data (the snapshot it polls).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RequestHandler, Router } from 'express';
import { NotFoundError } from '../errors.js';
import { type DashboardDeps, dashboardData } from './dashboardData.js';

const ASSETS: Record<string, string> = {
  'dashboard.js': 'text/javascript; charset=utf-8',
  'charts.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
};

// Scripts and styles come from files of ours only; the page talks to this origin only.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * The page's files sit beside this source file. `tsc` does not copy them to dist/, so a build run from
 * dist/src/ops/ reads them from the source tree it was built from.
 */
export function dashboardDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'dashboard'), path.resolve(here, '../../../src/ops/dashboard')];
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'index.html'))) ?? candidates[0]!;
}

export function dashboardRoutes(router: Router, deps: DashboardDeps & { dataGuard?: RequestHandler }): void {
  const dir = dashboardDir();
  const send = (file: string, type: string) => (_req: unknown, res: import('express').Response) => {
    res.setHeader('Content-Security-Policy', CSP);
    res.setHeader('Cache-Control', 'no-cache');
    res.type(type).send(fs.readFileSync(path.join(dir, file)));
  };
  router.get('/dashboard', send('index.html', 'text/html; charset=utf-8'));
  router.get('/dashboard/assets/:file', (req, res) => {
    const file = req.params.file;
    const type = ASSETS[file];
    // Only the names listed: nothing a request names can reach past the dashboard folder.
    if (!type) throw new NotFoundError(`no dashboard asset ${file.slice(0, 100)}`);
    send(file, type)(req, res);
  });
  const guard: RequestHandler = deps.dataGuard ?? ((_req, _res, next) => next());
  router.get('/dashboard/data', guard, async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(await dashboardData(deps));
  });
}
