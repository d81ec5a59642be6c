// A small story for rebuild and analytics tests: users over HTTP, the other modules' events straight into the log.
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import {
  createBillCreatedEvent,
  createDocumentUploadedEvent,
  createNotificationSentEvent,
  createPaymentFailedEvent,
  createPaymentSuccessEvent,
} from '../../src/events/catalog.js';
import { causedBy, type EventEnvelope, type StoredEvent } from '../../src/events/envelope.js';
import type { TestApp } from '../support/testApp.js';

export interface User {
  id: string;
  email: string;
  phone: string | null;
}

async function createUser(t: TestApp, body: Record<string, unknown>): Promise<User> {
  const res = await t.http.post('/users').send(body);
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  return res.body as User;
}

function append(t: TestApp, events: EventEnvelope[]): Promise<StoredEvent[]> {
  return t.app.host.commit((uow) => uow.append(events));
}

/**
 * Runs the story and waits until every subscriber is done. The events appended directly are the ones billing,
 * payments, documents and notifications would emit, consistent with each other, so those modules' projections
 * and reactions can take them as they land. A bill.paid is left to billing, which emits it on payment.success.
 */
export async function runScenario(t: TestApp): Promise<void> {
  const ann = await createUser(t, { email: 'ann@example.com', name: 'Ann', phone: '+15551234567' });
  const bob = await createUser(t, { email: 'bob@example.com', name: 'Bob' });
  const patched = await t.http.patch(`/users/${bob.id}`).send({ name: 'Bobby', phone: '+15557654321' });
  expect(patched.status).to.equal(200);

  for (const [user, amount] of [[ann, 1999], [bob, 4500]] as const) {
    const billId = randomUUID();
    const bill = createBillCreatedEvent(billId, user.id, amount, 'EUR', '2030-01-31', `bill for ${user.email}`, { version: 1 });
    // The bill and its email notice in one commit: notifications' own reaction to the bill, whenever it runs, finds
    // that email sent and sends only the SMS (appended one after the other, the reaction could come in between).
    await t.app.host.commit(async (uow) => {
      await uow.append([bill]);
      await uow.append([createNotificationSentEvent(randomUUID(), user.id, 'email', 'bill.created', user.email, bill.id, causedBy(bill, 1))]);
    });
    const failed = createPaymentFailedEvent(randomUUID(), billId, user.id, amount, 'EUR', 'card_declined', causedBy(bill, 1));
    await append(t, [failed]);
    await append(t, [createPaymentSuccessEvent(randomUUID(), billId, user.id, amount, 'EUR', causedBy(bill, 1))]);
    const pdf = 'a'.repeat(64);
    await append(t, [createDocumentUploadedEvent(randomUUID(), user.id, billId, 'invoice.pdf', 'application/pdf', 1024, pdf, { version: 1 })]);
  }
  await t.settle();
}

/** Every event in the log, page by page over GET /events. */
export async function eventLog(t: TestApp): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  for (let after = 0; ; ) {
    const res = await t.http.get('/events').query({ after, limit: 1000 });
    expect(res.status).to.equal(200);
    all.push(...(res.body.items as StoredEvent[]));
    if (res.body.items.length === 0) return all;
    after = res.body.nextAfter;
  }
}

export function countByType(events: readonly { type: string }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of events) counts[e.type] = (counts[e.type] ?? 0) + 1;
  return counts;
}
