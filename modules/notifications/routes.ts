// HTTP routes of the notifications module.
import type { Router } from 'express';
import { z } from 'zod';
import { parseWith } from '../../src/http/validate.js';
import type { NotificationsRepository } from './NotificationsRepository.js';

const listQuery = z.object({ userId: z.uuid('must be a UUID').transform((v) => v.toLowerCase()) }).strict();

export function notificationsRoutes(router: Router, repo: NotificationsRepository): void {
  router.get('/notifications', (req, res) => {
    const { userId } = parseWith(listQuery, req.query, 'query');
    res.json({ items: repo.listByUser(userId) });
  });
}
