// Refuses text with a NUL character anywhere in the body or the query: PostgreSQL cannot store it in TEXT, so on
// that engine it would end in a 500 deep inside a projection; on SQLite it would store what no client can mean.
import type { RequestHandler } from 'express';
import { ValidationError } from '../errors.js';

const MAX_DEPTH = 20;

/** The path of the first string holding a NUL, like `body.items.2.name`, or undefined. */
function nulIn(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return undefined;
  for (const [key, inner] of Object.entries(value)) {
    if (key.includes('\u0000')) return `${path}.${key.replaceAll('\u0000', '\\u0000')}`;
    const found = nulIn(inner, `${path}.${key}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

export const refuseNulCharacters: RequestHandler = (req, _res, next) => {
  const field = nulIn(req.body, 'body') ?? nulIn(req.query, 'query');
  if (field) throw new ValidationError([{ field: field.replace(/^(body|query)\./, ''), message: 'must not contain a NUL character (\\u0000)' }]);
  next();
};
