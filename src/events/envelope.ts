// The event envelope of CONTRACT.md: the one shape events have in the store, on the bus and on the wire.
import { v7 as timeOrderedUUID } from 'uuid';
import { z } from 'zod';
import type { KeyCommits } from '../runtime/module.js';

/** Longest caller name an event records; a token naming a longer subject is refused (src/auth). */
export const ACTOR_MAX = 255;

export const metadataSchema = z
  .object({
    correlationId: z.string().min(1).max(200),
    causationId: z.string().min(1).max(200).nullable(),
    // Optional: events written before callers were recorded have none.
    actor: z.string().min(1).max(ACTOR_MAX).nullable().optional(),
  })
  .catchall(z.unknown());

export const envelopeSchema = z.object({
  id: z.uuid(),
  type: z.string().min(1).max(100),
  aggregateType: z.string().min(1).max(50),
  aggregateId: z.string().min(1).max(200),
  version: z.number().int().min(1),
  occurredAt: z.iso.datetime(),
  payload: z.record(z.string(), z.unknown()),
  metadata: metadataSchema,
});

export type EventMetadata = z.infer<typeof metadataSchema>;

export interface EventEnvelope<TType extends string = string, TPayload = Record<string, unknown>> {
  id: string;
  type: TType;
  aggregateType: string;
  aggregateId: string;
  version: number;
  occurredAt: string;
  payload: TPayload;
  metadata: EventMetadata;
}

/** An event as the store returns it: the envelope plus its global position. */
export type StoredEvent<E extends EventEnvelope = EventEnvelope> = E & { position: number };

/** What a factory needs besides the payload: where in its stream the event goes and what caused it. */
export interface EventContext {
  version?: number;
  correlationId?: string;
  causationId?: string | null;
  /** Who asked (the caller's `sub`, `apikey:<id>`); null when auth is off. */
  actor?: string | null;
  id?: string;
  occurredAt?: string;
  /** A request with an Idempotency-Key: where its commits store their results (see Commit). Not part of any event. */
  keyCommits?: KeyCommits;
}

/** Metadata for events caused by `cause` (an event): same correlation and caller, causation = that event. */
export function causedBy(cause: Pick<EventEnvelope, 'id' | 'metadata'>, version?: number): EventContext {
  return { version, correlationId: cause.metadata.correlationId, causationId: cause.id, actor: cause.metadata.actor ?? null };
}

/**
 * A new id for a record or an event: a UUID (version 7) that starts with the time, so the rows a burst writes land
 * at the end of their primary-key and stream indexes instead of dirtying a random page of each.
 */
export function newId(): string {
  return timeOrderedUUID();
}

export function buildEnvelope<TType extends string, TPayload>(
  type: TType,
  aggregateType: string,
  aggregateId: string,
  payload: TPayload,
  ctx: EventContext = {},
): EventEnvelope<TType, TPayload> {
  // Time-ordered (UUIDv7): each new id lands at the end of the store's id index instead of on a random page.
  const id = ctx.id ?? newId();
  return {
    id,
    type,
    aggregateType,
    aggregateId,
    version: ctx.version ?? 1,
    occurredAt: ctx.occurredAt ?? new Date().toISOString(),
    payload,
    metadata: { correlationId: ctx.correlationId ?? id, causationId: ctx.causationId ?? null, actor: ctx.actor ?? null },
  };
}
