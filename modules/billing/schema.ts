// Request bodies of the billing routes.
import { z } from 'zod';

/** A field's message when it is present but wrong; a missing field always reads "is required". */
const says = (message: string) => ({ error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : message) });

export const createBillBody = z
  .object({
    userId: z.uuid(says('must be a user id (UUID)')).transform((id) => id.toLowerCase()),
    amount: z
      .number(says('must be a number'))
      .int('must be a whole number of minor units (cents)')
      .positive('must be greater than 0')
      .max(Number.MAX_SAFE_INTEGER),
    currency: z.string(says('must be a string')).regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code in capitals, like EUR'),
    dueDate: z.iso.date(says('must be a real date in YYYY-MM-DD form')),
    description: z.string('must be a string').trim().max(500, 'must be at most 500 characters').nullable().optional().default(null),
  })
  .strict();

export type CreateBillBody = z.infer<typeof createBillBody>;
