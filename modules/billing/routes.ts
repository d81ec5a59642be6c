// HTTP routes of the billing module: check the caller, parse, call one command or query, map.
import type { Router } from 'express';
import { mustActFor, NotFoundError, parseIdParam, parseWith, requestContext, requireScope, type Sql, visibleTo } from '../../src/moduleKit.js';
import { billsRepository as bills } from './billsRepository.js';
import type { BillingCommands } from './commands.js';
import { toBill } from './decide.js';
import { createBillBody } from './schema.js';

export function billingRoutes(router: Router, db: Sql, commands: BillingCommands): void {
  router.post('/bills', requireScope('bills:write'), async (req, res) => {
    const body = parseWith(createBillBody, req.body);
    // A token bound to one user bills that user only: 403 for another userId, whether that user exists or not.
    mustActFor(res, body.userId);
    const bill = await commands.createBill(body, requestContext(res));
    res.status(201).location(`/bills/${bill.id}`).json(bill);
  });

  router.get('/bills/:id', requireScope('bills:read'), async (req, res) => {
    const id = parseIdParam(req.params.id, 'bill');
    const bill = visibleTo(res, await bills.get(db, id), (b) => b.userId);
    if (!bill) throw new NotFoundError(`no bill with id ${id}`);
    res.json(toBill(bill));
  });

  router.get('/users/:id/bills', requireScope('bills:read'), async (req, res) => {
    const id = parseIdParam(req.params.id, 'user');
    if (!visibleTo(res, id, (userId) => userId) || !(await bills.hasUser(db, id))) throw new NotFoundError(`no user with id ${id}`);
    res.json({ items: (await bills.listByUser(db, id)).map(toBill) });
  });
}
