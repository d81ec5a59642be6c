// HTTP routes of the payments module: parse, call one command or query, map.
import type { Router } from 'express';
import { NotFoundError, parseIdParam, parseWith, requestContext, type Sql } from '../../src/moduleKit.js';
import type { PaymentCommands } from './commands.js';
import { paymentsRepository as payments } from './paymentsRepository.js';
import { payBody } from './schema.js';

export function paymentsRoutes(router: Router, db: Sql, commands: PaymentCommands): void {
  router.post('/payments', async (req, res) => {
    const body = parseWith(payBody, req.body);
    const payment = await commands.pay(body, requestContext(res));
    res.status(201).location(`/payments/${payment.id}`).json(payment);
  });

  router.get('/payments/:id', async (req, res) => {
    const id = parseIdParam(req.params.id, 'payment');
    const payment = await payments.getPayment(db, id);
    if (!payment) throw new NotFoundError(`no payment with id ${id}`);
    res.json(payment);
  });
}
