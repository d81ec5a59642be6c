// Request bodies of the users routes.
import { z } from 'zod';

const email = z
  .string()
  .trim()
  .max(254)
  .toLowerCase()
  .pipe(z.email('must be a valid email address'));
const name = z.string().trim().min(1, 'must not be empty').max(200);
const phone = z
  .string()
  .trim()
  .regex(/^\+[1-9]\d{6,14}$/, 'must be in E.164 form, like +15551234567')
  .nullable();

export const createUserBody = z.object({ email, name, phone: phone.optional().default(null) }).strict();

export const updateUserBody = z
  .object({ email: email.optional(), name: name.optional(), phone: phone.optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'must contain at least one of email, name, phone');
