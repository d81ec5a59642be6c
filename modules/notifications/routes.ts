// HTTP routes of the notifications module.
import type { Router } from 'express';
import { z } from 'zod';
import { parseWith, type Sql } from '../../src/moduleKit.js';
import { notificationsRepository as notifications } from './notificationsRepository.js';

const listQuery = z.object({ userId: z.uuid('must be a UUID').transform((v) => v.toLowerCase()) }).strict();

export function notificationsRoutes(router: Router, db: Sql): void {
  router.get('/notifications', async (req, res) => {
    const { userId } = parseWith(listQuery, req.query, 'query');
    res.json({ items: await notifications.listByUser(db, userId) });
  });
}
