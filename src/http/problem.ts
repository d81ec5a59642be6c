// The one error mapper: typed errors → application/problem+json (RFC 9457). Nothing else writes error bodies.
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { actorOf } from '../auth/Caller.js';
import { AppError, ConflictError, type FieldError, ForbiddenError, UnauthorizedError, UnprocessableError, ValidationError } from '../errors.js';
import { EventSchemaError } from '../events/catalog.js';
import { ProjectionError } from '../runtime/subscribers.js';
import { isUniqueViolation } from '../storage/errors.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

const slug = (title: string) => title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

export function sendProblem(res: Response, status: number, title: string, detail: string, errors?: FieldError[]): void {
  const body: Problem = { type: `urn:paybus:problem:${slug(title)}`, title, status, detail };
  if (errors && errors.length > 0) body.errors = errors;
  res.status(status).type('application/problem+json').send(JSON.stringify(body));
}

export const notFoundRoute: RequestHandler = (req, res) => {
  sendProblem(res, 404, 'Not found', `no route for ${req.method} ${req.path.slice(0, 200)}`);
};

interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
}

export function errorMapper(log: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    if (res.headersSent) return;
    if (error instanceof ProjectionError && error.cause instanceof AppError) error = error.cause;
    if (error instanceof ValidationError || error instanceof UnprocessableError) {
      return sendProblem(res, error.status, error.title, error.message, error.errors);
    }
    if (error instanceof UnauthorizedError || error instanceof ForbiddenError) res.setHeader('WWW-Authenticate', error.challenge);
    if (error instanceof AppError) return sendProblem(res, error.status, error.title, error.message);
    if (error instanceof EventSchemaError) {
      // A request that passed validation but made an invalid event: name the field, refuse, change nothing.
      return sendProblem(res, 422, 'Unprocessable request', error.message, [{ field: error.field, message: error.message }]);
    }
    if (error instanceof URIError) {
      // The router could not percent-decode a path parameter (`/users/%E0%A4%A`): a malformed id is 404.
      return sendProblem(res, 404, 'Not found', 'the path holds a malformed percent-encoding');
    }
    const parserError = error as BodyParserError;
    if (parserError?.type === 'entity.parse.failed') return sendProblem(res, 400, 'Malformed JSON', 'the request body is not valid JSON');
    if (parserError?.type === 'entity.too.large') return sendProblem(res, 413, 'Payload too large', 'the request body is larger than allowed');
    if (parserError?.type === 'encoding.unsupported' || parserError?.type === 'charset.unsupported') {
      return sendProblem(res, 415, 'Unsupported media type', 'the request body encoding is not supported');
    }
    if (parserError?.expose && typeof parserError.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
      return sendProblem(res, parserError.status, 'Bad request', (error as Error).message);
    }
    if (isUniqueViolation(error) || (error instanceof ProjectionError && isUniqueViolation(error.cause))) return sendProblem(res, 409, new ConflictError('').title, 'the change conflicts with existing data');
    log.error({ err: error, method: req.method, path: req.path, correlationId: res.locals.correlationId, actor: actorOf(res) }, 'unhandled error');
    sendProblem(res, 500, 'Internal error', 'the server could not complete the request; it was logged');
  };
}
