// Request bodies of the payments routes.
import { z } from 'zod';

/** A field's message when it is present but wrong; a missing field always reads "is required". */
const says = (message: string) => ({ error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : message) });

export const payBody = z
  .object({
    billId: z.uuid(says('must be a bill id (UUID)')).transform((id) => id.toLowerCase()),
    amount: z
      .number(says('must be a number'))
      .int('must be a whole number of minor units (cents)')
      .positive('must be greater than 0')
      .max(Number.MAX_SAFE_INTEGER),
    currency: z.string(says('must be a string')).regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code in capitals, like EUR'),
    source: z.string(says('must be a string')).min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  })
  .strict();

export type PayBody = z.infer<typeof payBody>;
