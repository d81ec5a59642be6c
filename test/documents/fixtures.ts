// Small real files of each allowed kind, and helpers to create the users and bills uploads refer to.
import { randomUUID } from 'node:crypto';
import { createBillCreatedEvent } from '../../src/events/catalog.js';
import type { TestApp } from '../support/testApp.js';

export const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d494844520000000100000001080600000001f15c4a0000000d49444154789c6360000002000001e221bc330000000049454e44ae426082',
  'hex',
);
export const JPEG = Buffer.concat([Buffer.from('ffd8ffe000104a46494600010100000100010000', 'hex'), Buffer.alloc(64), Buffer.from('ffd9', 'hex')]);
export const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
export const TEXT = Buffer.from('Grüße — a receipt\nline two\n', 'utf8');

export async function createUser(t: TestApp, email = `${randomUUID()}@example.com`): Promise<string> {
  const res = await t.http.post('/users').send({ email, name: 'Ada' }).expect(201);
  return res.body.id as string;
}

/** Appends a bill.created directly: documents only needs the event, not the billing module. */
export async function createBill(t: TestApp, userId: string): Promise<string> {
  const billId = randomUUID();
  await t.app.host.commit((uow) => uow.append([createBillCreatedEvent(billId, userId, 1234, 'EUR', '2030-01-31', null)], { expectedVersion: 0 }));
  return billId;
}
