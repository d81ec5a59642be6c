// HTTP routes of the payments module: check the caller, parse, call one command or query, map.
import type { Router } from 'express';
import { boundUser, NotFoundError, parseIdParam, parseWith, requestContext, requireScope, type Sql, visibleTo } from '../../src/moduleKit.js';
import type { PaymentCommands } from './commands.js';
import { paymentsRepository as payments } from './paymentsRepository.js';
import { payBody } from './schema.js';

export function paymentsRoutes(router: Router, db: Sql, commands: PaymentCommands): void {
  router.post('/payments', requireScope('payments:write'), async (req, res) => {
    const body = parseWith(payBody, req.body);
    const payment = await commands.pay(body, requestContext(res), boundUser(res));
    res.status(201).location(`/payments/${payment.id}`).json(payment);
  });

  router.get('/payments/:id', requireScope('payments:read'), async (req, res) => {
    const id = parseIdParam(req.params.id, 'payment');
    const payment = visibleTo(res, await payments.getPayment(db, id), (p) => p.userId);
    if (!payment) throw new NotFoundError(`no payment with id ${id}`);
    res.json(payment);
  });
}
