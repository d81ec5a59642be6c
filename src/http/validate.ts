// Request parsing with zod: every failure becomes a ValidationError that names the field.
import type { z } from 'zod';
import { type FieldError, NotFoundError, ValidationError } from '../errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

export function zodFieldErrors(error: z.ZodError, root = 'body'): FieldError[] {
  return error.issues.flatMap((issue): FieldError[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: [...issue.path.map(String), key].join('.'), message: 'is not a known field' }));
    }
    const field = issue.path.length > 0 ? issue.path.map(String).join('.') : root;
    const message = issue.code === 'invalid_type' && /received undefined$/.test(issue.message) ? 'is required' : issue.message;
    return [{ field, message }];
  });
}

export function parseWith<S extends z.ZodType>(schema: S, input: unknown, root = 'body'): z.infer<S> {
  const result = schema.safeParse(input ?? (root === 'body' ? undefined : {}));
  if (!result.success) throw new ValidationError(zodFieldErrors(result.error, root));
  return result.data;
}

/** A malformed id in a path names nothing that exists: 404, per the contract. */
export function parseIdParam(value: unknown, what: string): string {
  if (!isUuid(value)) throw new NotFoundError(`no ${what} with id ${String(value).slice(0, 100)}`);
  return value.toLowerCase();
}
