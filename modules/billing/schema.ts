// Request bodies of the billing routes.
import { z } from 'zod';
import { amountField, currencyField, idField, says } from '../../src/moduleKit.js';

export const createBillBody = z
  .object({
    userId: idField('user'),
    amount: amountField(),
    currency: currencyField(),
    dueDate: z.iso.date(says('must be a real date in YYYY-MM-DD form')),
    description: z.string('must be a string').trim().max(500, 'must be at most 500 characters').nullable().optional().default(null),
  })
  .strict();

export type CreateBillBody = z.infer<typeof createBillBody>;
