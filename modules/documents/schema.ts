// The text fields of POST /documents.
import { z } from 'zod';

const uuid = z.uuid('must be a UUID').transform((v) => v.toLowerCase());

export const uploadFields = z
  .object({
    userId: uuid,
    billId: z.preprocess((v) => (v === '' ? undefined : v), uuid.optional()),
  })
  .strict();
