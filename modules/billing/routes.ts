// HTTP routes of the billing module: parse, call one command or query, map.
import type { Router } from 'express';
import { NotFoundError } from '../../src/errors.js';
import { requestContext } from '../../src/http/correlation.js';
import { parseIdParam, parseWith } from '../../src/http/validate.js';
import { toBill, type BillsRepository } from './BillsRepository.js';
import type { BillingCommands } from './commands.js';
import { createBillBody } from './schema.js';

export function billingRoutes(router: Router, repo: BillsRepository, commands: BillingCommands): void {
  router.post('/bills', (req, res) => {
    const body = parseWith(createBillBody, req.body);
    const bill = commands.createBill(body, requestContext(res));
    res.status(201).location(`/bills/${bill.id}`).json(bill);
  });

  router.get('/bills/:id', (req, res) => {
    const id = parseIdParam(req.params.id, 'bill');
    const bill = repo.get(id);
    if (!bill) throw new NotFoundError(`no bill with id ${id}`);
    res.json(toBill(bill));
  });

  router.get('/users/:id/bills', (req, res) => {
    const id = parseIdParam(req.params.id, 'user');
    if (!repo.hasUser(id)) throw new NotFoundError(`no user with id ${id}`);
    res.json({ items: repo.listByUser(id).map(toBill) });
  });
}
