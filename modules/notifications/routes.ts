// HTTP routes of the notifications module.
import type { Router } from 'express';
import { z } from 'zod';
import { boundUser, parseWith, requireScope, type Sql, ValidationError } from '../../src/moduleKit.js';
import { notificationsRepository as notifications } from './notificationsRepository.js';

const listQuery = z.object({ userId: z.uuid('must be a UUID').transform((v) => v.toLowerCase()).optional() }).strict();

export function notificationsRoutes(router: Router, db: Sql): void {
  router.get('/notifications', requireScope('notifications:read'), async (req, res) => {
    const bound = boundUser(res);
    // A token bound to one user may leave userId out: its own user is meant.
    const userId = parseWith(listQuery, req.query, 'query').userId ?? bound;
    if (userId === null) throw new ValidationError([{ field: 'userId', message: 'is required' }]);
    // Another user's notifications do not exist for it: the same empty list as for a user without any.
    if (bound !== null && userId !== bound) return void res.json({ items: [] });
    res.json({ items: await notifications.listByUser(db, userId) });
  });
}
