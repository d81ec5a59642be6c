// HTTP routes of the payments module: parse, call one command or query, map.
import type { Router } from 'express';
import { NotFoundError } from '../../src/errors.js';
import { requestContext } from '../../src/http/correlation.js';
import { parseIdParam, parseWith } from '../../src/http/validate.js';
import type { PaymentCommands } from './commands.js';
import type { PaymentsRepository } from './PaymentsRepository.js';
import { payBody } from './schema.js';

export function paymentsRoutes(router: Router, repo: PaymentsRepository, commands: PaymentCommands): void {
  router.post('/payments', async (req, res) => {
    const body = parseWith(payBody, req.body);
    const payment = await commands.pay(body, requestContext(res));
    res.status(201).location(`/payments/${payment.id}`).json(payment);
  });

  router.get('/payments/:id', (req, res) => {
    const id = parseIdParam(req.params.id, 'payment');
    const payment = repo.getPayment(id);
    if (!payment) throw new NotFoundError(`no payment with id ${id}`);
    res.json(payment);
  });
}
