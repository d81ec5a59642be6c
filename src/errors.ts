// Typed errors shared by the runtime and the modules; src/http/problem.ts maps each to one HTTP status.

/** What an error says, whatever was thrown. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Thrown when a variable cannot work; the message is the one line main prints. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface FieldError {
  field: string;
  message: string;
}

export abstract class AppError extends Error {
  abstract readonly status: number;
  abstract readonly title: string;
}

export class ValidationError extends AppError {
  override name = 'ValidationError';
  readonly status = 400;
  readonly title = 'Invalid request';
  constructor(
    readonly errors: FieldError[],
    detail = errors.map((e) => `${e.field}: ${e.message}`).join('; '),
  ) {
    super(detail);
  }
}

export class NotFoundError extends AppError {
  override name = 'NotFoundError';
  readonly status = 404;
  readonly title = 'Not found';
}

export class ConflictError extends AppError {
  override name = 'ConflictError';
  readonly status = 409;
  readonly title = 'Conflict';
}

/** An append whose expected version is not the stream's current version: someone else wrote first. */
export class ConcurrencyError extends ConflictError {
  override name = 'ConcurrencyError';
  constructor(
    readonly aggregateId: string,
    readonly expectedVersion: number,
    /** Unknown when the engine refused the append (a unique index) and the transaction can read no more. */
    readonly actualVersion?: number,
  ) {
    const now = actualVersion === undefined ? 'no longer' : `at version ${actualVersion},`;
    super(`stream ${aggregateId} is ${now} expected ${expectedVersion}; reload and try again`);
  }
}

export class UnprocessableError extends AppError {
  override name = 'UnprocessableError';
  readonly status = 422;
  readonly title = 'Unprocessable request';
  constructor(
    detail: string,
    readonly errors?: FieldError[],
  ) {
    super(detail);
  }
}

export class PayloadTooLargeError extends AppError {
  override name = 'PayloadTooLargeError';
  readonly status = 413;
  readonly title = 'Payload too large';
}

export class UnsupportedMediaTypeError extends AppError {
  override name = 'UnsupportedMediaTypeError';
  readonly status = 415;
  readonly title = 'Unsupported media type';
}

/** 401: no credentials, or ones that do not hold. `challenge` is the WWW-Authenticate answer (RFC 6750). */
export class UnauthorizedError extends AppError {
  override name = 'UnauthorizedError';
  readonly status = 401;
  readonly title = 'Unauthorized';
  constructor(
    detail: string,
    readonly challenge = 'Bearer realm="paybus"',
  ) {
    super(detail);
  }
}

/** 403: the caller is known but may not do this (a missing scope, a user-bound token reaching past its user). */
export class ForbiddenError extends AppError {
  override name = 'ForbiddenError';
  readonly status = 403;
  readonly title = 'Forbidden';
  constructor(
    detail: string,
    readonly challenge = 'Bearer realm="paybus", error="insufficient_scope"',
  ) {
    super(detail);
  }
}

export class ServiceUnavailableError extends AppError {
  override name = 'ServiceUnavailableError';
  readonly status = 503;
  readonly title = 'Service unavailable';
}

/**
 * A subscriber got an event about state it has not seen yet: bill.paid for a bill no bill.created made known to it
 * (events of different keys overtake each other under competition, or a module started consuming late). Never
 * dropped: the processor retries it with backoff, so the missing event can arrive meanwhile, and after the last
 * attempt it becomes a dead letter, logged as an error naming the event and what it missed, for an operator to retry.
 */
export class MissingStateError extends Error {
  override name = 'MissingStateError';
  /** Retrying can help: the state may arrive with a later event. */
  readonly retryable = true;
  constructor(
    readonly event: { readonly id: string; readonly type: string },
    /** What it needed and has not seen, e.g. `bill 0190…` */
    readonly missing: string,
  ) {
    super(`${event.type} ${event.id} is about ${missing}, which this subscriber has not seen yet`);
  }
}
