// Bench data: valid envelopes, built before timing starts so both sides store the same rows.
import { randomUUID } from 'node:crypto';
import { createBillCreatedEvent } from '../../src/events/catalog.js';
import type { EventEnvelope } from '../../src/events/envelope.js';

/** `count` bill.created events, each the first of its own stream. */
export function billEvents(count: number): EventEnvelope[] {
  const userId = randomUUID();
  return Array.from({ length: count }, () => createBillCreatedEvent(randomUUID(), userId, 12345, 'EUR', '2030-01-31', 'Electricity, January'));
}

/** A stream of `length` events for one aggregate, versions 1..length (bill.created payload reused for size). */
export function streamEvents(aggregateId: string, length: number): EventEnvelope[] {
  const userId = randomUUID();
  return Array.from({ length }, (_, i) => ({ ...createBillCreatedEvent(aggregateId, userId, 100 + i, 'EUR', '2030-01-31', null), version: i + 1 }));
}
