// HTTP routes of the billing module: parse, call one command or query, map.
import type { Router } from 'express';
import { NotFoundError, parseIdParam, parseWith, requestContext, type Sql } from '../../src/moduleKit.js';
import { billsRepository as bills } from './billsRepository.js';
import type { BillingCommands } from './commands.js';
import { toBill } from './decide.js';
import { createBillBody } from './schema.js';

export function billingRoutes(router: Router, db: Sql, commands: BillingCommands): void {
  router.post('/bills', async (req, res) => {
    const body = parseWith(createBillBody, req.body);
    const bill = await commands.createBill(body, requestContext(res));
    res.status(201).location(`/bills/${bill.id}`).json(bill);
  });

  router.get('/bills/:id', async (req, res) => {
    const id = parseIdParam(req.params.id, 'bill');
    const bill = await bills.get(db, id);
    if (!bill) throw new NotFoundError(`no bill with id ${id}`);
    res.json(toBill(bill));
  });

  router.get('/users/:id/bills', async (req, res) => {
    const id = parseIdParam(req.params.id, 'user');
    if (!(await bills.hasUser(db, id))) throw new NotFoundError(`no user with id ${id}`);
    res.json({ items: (await bills.listByUser(db, id)).map(toBill) });
  });
}
