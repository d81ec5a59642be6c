// Request bodies of the payments routes.
import { z } from 'zod';
import { amountField, currencyField, idField, says } from '../../src/moduleKit.js';

export const payBody = z
  .object({
    billId: idField('bill'),
    amount: amountField(),
    currency: currencyField(),
    source: z.string(says('must be a string')).min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  })
  .strict();

export type PayBody = z.infer<typeof payBody>;
