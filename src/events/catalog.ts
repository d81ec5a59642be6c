// The event catalog of CONTRACT.md: one zod schema and one factory per event type.
import { z } from 'zod';
import { buildEnvelope, envelopeSchema, type EventContext, type EventEnvelope } from './envelope.js';

const id = z.string().min(1).max(200);
const amount = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code like EUR');
const isoDate = z.iso.date();
const isoDateTime = z.iso.datetime();

export const payloadSchemas = {
  'user.created': z.object({ userId: id, email: z.email(), name: z.string().min(1), phone: z.string().nullable() }),
  'user.updated': z.object({
    userId: id,
    changes: z
      .object({ email: z.email(), name: z.string().min(1), phone: z.string().nullable() })
      .partial()
      .refine((c) => Object.keys(c).length > 0, 'must name at least one changed field'),
  }),
  'bill.created': z.object({ billId: id, userId: id, amount, currency, dueDate: isoDate, description: z.string().nullable() }),
  'bill.paid': z.object({ billId: id, userId: id, paymentId: id, amount, currency, paidAt: isoDateTime }),
  'payment.success': z.object({ paymentId: id, billId: id, userId: id, amount, currency }),
  'payment.failed': z.object({ paymentId: id, billId: id, userId: id, amount, currency, reason: z.string().min(1) }),
  'notification.sent': z.object({
    notificationId: id,
    userId: id,
    channel: z.enum(['email', 'sms']),
    template: z.string().min(1),
    recipient: z.string().min(1),
    causationEventId: id,
  }),
  'document.uploaded': z.object({
    documentId: id,
    userId: id,
    billId: id.nullable(),
    filename: z.string().min(1),
    contentType: z.string().min(1),
    size: z.number().int().min(0),
    sha256: z.string().regex(/^[a-f0-9]{64}$/),
  }),
} as const;

export type EventType = keyof typeof payloadSchemas;
export const EVENT_TYPES = Object.keys(payloadSchemas) as EventType[];
export type PayloadOf<T extends EventType> = z.infer<(typeof payloadSchemas)[T]>;
export type DomainEvent<T extends EventType = EventType> = EventEnvelope<T, PayloadOf<T>>;

export const aggregateTypeOf: Record<EventType, string> = {
  'user.created': 'user',
  'user.updated': 'user',
  'bill.created': 'bill',
  'bill.paid': 'bill',
  'payment.success': 'payment',
  'payment.failed': 'payment',
  'notification.sent': 'notification',
  'document.uploaded': 'document',
};

/** Thrown when an event does not fit its schema; the message names the field. */
export class EventSchemaError extends Error {
  override name = 'EventSchemaError';
  constructor(
    readonly eventType: string,
    readonly field: string,
    detail: string,
  ) {
    super(`invalid ${eventType} event: ${field} ${detail}`);
  }
}

export function isKnownEventType(type: string): type is EventType {
  return Object.hasOwn(payloadSchemas, type);
}

/** Checks a payload against its type's schema; returns the parsed payload or throws EventSchemaError. */
export function validatePayload<T extends EventType>(type: T, payload: unknown): PayloadOf<T> {
  const result = payloadSchemas[type].safeParse(payload);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = ['payload', ...issue.path.map(String)].join('.');
    throw new EventSchemaError(type, field, issue.message);
  }
  return result.data as PayloadOf<T>;
}

export function createEvent<T extends EventType>(type: T, aggregateId: string, payload: PayloadOf<T>, ctx?: EventContext): DomainEvent<T> {
  return buildEnvelope(type, aggregateTypeOf[type], aggregateId, validatePayload(type, payload), ctx);
}

export const createUserCreatedEvent = (userId: string, email: string, name: string, phone: string | null, ctx?: EventContext) =>
  createEvent('user.created', userId, { userId, email, name, phone }, ctx);

export const createUserUpdatedEvent = (userId: string, changes: PayloadOf<'user.updated'>['changes'], ctx?: EventContext) =>
  createEvent('user.updated', userId, { userId, changes }, ctx);

export const createBillCreatedEvent = (
  billId: string,
  userId: string,
  amount: number,
  currency: string,
  dueDate: string,
  description: string | null,
  ctx?: EventContext,
) => createEvent('bill.created', billId, { billId, userId, amount, currency, dueDate, description }, ctx);

export const createBillPaidEvent = (
  billId: string,
  userId: string,
  paymentId: string,
  amount: number,
  currency: string,
  paidAt: string,
  ctx?: EventContext,
) => createEvent('bill.paid', billId, { billId, userId, paymentId, amount, currency, paidAt }, ctx);

export const createPaymentSuccessEvent = (
  paymentId: string,
  billId: string,
  userId: string,
  amount: number,
  currency: string,
  ctx?: EventContext,
) => createEvent('payment.success', paymentId, { paymentId, billId, userId, amount, currency }, ctx);

export const createPaymentFailedEvent = (
  paymentId: string,
  billId: string,
  userId: string,
  amount: number,
  currency: string,
  reason: string,
  ctx?: EventContext,
) => createEvent('payment.failed', paymentId, { paymentId, billId, userId, amount, currency, reason }, ctx);

export const createNotificationSentEvent = (
  notificationId: string,
  userId: string,
  channel: 'email' | 'sms',
  template: string,
  recipient: string,
  causationEventId: string,
  ctx?: EventContext,
) => createEvent('notification.sent', notificationId, { notificationId, userId, channel, template, recipient, causationEventId }, ctx);

export const createDocumentUploadedEvent = (
  documentId: string,
  userId: string,
  billId: string | null,
  filename: string,
  contentType: string,
  size: number,
  sha256: string,
  ctx?: EventContext,
) => createEvent('document.uploaded', documentId, { documentId, userId, billId, filename, contentType, size, sha256 }, ctx);

/** Validates an envelope received from outside (the wire, a replay): envelope shape, then the payload of its type. */
export function parseEvent(raw: unknown): DomainEvent {
  const envelope = envelopeSchema.safeParse(raw);
  if (!envelope.success) {
    const issue = envelope.error.issues[0]!;
    throw new EventSchemaError(typeof (raw as { type?: unknown })?.type === 'string' ? String((raw as { type: string }).type) : 'unknown', issue.path.map(String).join('.') || 'envelope', issue.message);
  }
  const event = envelope.data;
  if (!isKnownEventType(event.type)) throw new EventSchemaError(event.type, 'type', 'is not in the event catalog');
  return { ...event, payload: validatePayload(event.type, event.payload) } as DomainEvent;
}
