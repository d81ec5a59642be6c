// One log line per answered request, with its correlation id and caller: debug for the ordinary ones, info for
// refusals of who is calling (401, 403), which an operator may want to see without debug on.
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { actorOf } from '../auth/Caller.js';

export function requestLog(log: Logger): RequestHandler {
  const http = log.child({ component: 'http' });
  return (req, res, next) => {
    const started = performance.now();
    res.once('finish', () => {
      const refused = res.statusCode === 401 || res.statusCode === 403;
      if (!refused && !http.isLevelEnabled('debug')) return;
      const line = {
        method: req.method,
        // The matched route pattern (/users/:id) when one matched: ids and query strings stay out of the log.
        route: req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : '(unmatched)',
        status: res.statusCode,
        ms: Math.round((performance.now() - started) * 10) / 10,
        correlationId: res.locals.correlationId as string | undefined,
        actor: actorOf(res),
      };
      if (refused) http.info(line, 'request refused');
      else http.debug(line, 'request');
    });
    next();
  };
}
