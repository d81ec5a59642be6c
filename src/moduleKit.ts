// Everything a domain module may use of the runtime, in one place: modules import src/ through this file only
// (test/architecture.unit.spec.ts), so the runtime can change behind it without reaching into every module.

// What a module declares and what the host gives it.
export type {
  BackgroundJob,
  Commit,
  DeliveredEvent,
  EffectfulReaction,
  ModuleDefinition,
  ModuleDeps,
  ModuleParts,
  Projection,
  Reaction,
  ReactionContext,
  TransactionalReaction,
  UnitOfWork,
} from './runtime/module.js';
export type { Config } from './config.js';
export type { Instance } from './runtime/Instance.js';

// Storage: statements run on `db` (reads) or on a unit of work's `tx`; tables come from migrations.
export type { Migration } from './storage/migrate.js';
export type { Engine, Sql, Statement, Transaction } from './storage/Storage.js';
export { perEngine } from './storage/Storage.js';
// The database's clock, for leases a module keeps in its own tables (payments in flight): replicas' clocks differ.
export { databaseNowMs } from './storage/clock.js';
export { isUniqueViolation } from './storage/errors.js';

// Events: the envelope, the catalog's factories and payload types.
export { causedBy, type EventContext, type EventEnvelope, newId } from './events/envelope.js';
export {
  createBillCreatedEvent,
  createBillPaidEvent,
  createDocumentUploadedEvent,
  createNotificationSentEvent,
  createPaymentFailedEvent,
  createPaymentSuccessEvent,
  createUserCreatedEvent,
  createUserUpdatedEvent,
  type DomainEvent,
  type PayloadOf,
} from './events/catalog.js';

// Typed errors, mapped to problem+json by the one error mapper.
export {
  AppError,
  ConflictError,
  errorMessage,
  ForbiddenError,
  MissingStateError,
  NotFoundError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  UnprocessableError,
  UnsupportedMediaTypeError,
  ValidationError,
} from './errors.js';

// HTTP: request parsing, shared fields, the request's event context, the hash an Idempotency-Key is bound to (a route
// that parses its own body guards it with ModuleDeps.idempotentRequest).
export { parseIdParam, parseWith } from './http/validate.js';
export { amountField, currencyField, idField, says } from './http/fields.js';
export { requestContext } from './http/correlation.js';
export { requestHash } from './http/idempotency.js';

// Who may call: a scope guard for each route, and what a caller bound to one user may see and do (src/auth).
export { boundUser, mustActFor, requireScope, visibleTo } from './auth/guards.js';
export type { Scope } from './auth/scopes.js';
