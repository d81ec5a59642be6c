// GET /events: the log by global position, filtered by aggregate and type.
import type { RequestHandler, Router } from 'express';
import { z } from 'zod';
import { EVENT_TYPES } from '../events/catalog.js';
import type { EventStore } from '../store/EventStore.js';
import { parseWith } from './validate.js';

const querySchema = z
  .object({
    aggregateId: z.string().min(1).max(200).optional(),
    type: z
      .string()
      .optional()
      .transform((v) => (v ? v.split(',').map((t) => t.trim()).filter(Boolean) : []))
      .refine((types) => types.every((t) => (EVENT_TYPES as string[]).includes(t)), `must be one or more of ${EVENT_TYPES.join(', ')}`),
    after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

/** `guard`: who may read the log (events:read, never a token bound to one user). */
export function eventsRoute(router: Router, store: EventStore, guard: RequestHandler): void {
  router.get('/events', guard, async (req, res) => {
    const flat = Object.fromEntries(Object.entries(req.query).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]));
    const q = parseWith(querySchema, flat, 'query');
    const items = await store.readAll({ after: q.after, limit: q.limit, types: q.type, aggregateId: q.aggregateId });
    // nextAfter is always a cursor: pass it back as `after` to continue (or to wait for more).
    res.json({ items, nextAfter: items.length > 0 ? items[items.length - 1]!.position : q.after });
  });
}
