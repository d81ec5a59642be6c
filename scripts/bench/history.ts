// Bills to pay, written as history before a payments case starts: no bill.created mail goes out during the run.
import type { PaybusApp } from '../../src/createApp.js';
import { createBillCreatedEvent, createUserCreatedEvent } from '../../src/events/catalog.js';

/** What cases/http.ts and its kin write to BILLS_JSON for a server: the users, the bills of the run. */
export interface BenchBills {
  userIds: string[];
  /** Bill i belongs to user i modulo the number of users. */
  billIds: string[];
  amount: number;
  currency: string;
}

export const ownerOf = (bills: BenchBills, i: number) => bills.userIds[i % bills.userIds.length]!;

/**
 * The user and the bills as history: the events POST /users and POST /bills commit (inline projections give
 * billing and payments the bills), committed before start and recorded as handled by every reaction, as if
 * their notifications went out long ago. Otherwise thousands of bill.created mails would be sent during the run.
 */
export async function prepareHistory(app: PaybusApp, bills: BenchBills): Promise<void> {
  const { userIds, billIds, amount, currency } = bills;
  // No phone: each payment sends one mail.
  await app.host.commit(({ append }) => append(userIds.map((id) => createUserCreatedEvent(id, `bench-${id}@example.com`, 'Bench User', null))));
  for (let i = 0; i < billIds.length; i += 500) {
    const events = billIds.slice(i, i + 500).map((id, j) => createBillCreatedEvent(id, ownerOf(bills, i + j), amount, currency, '2030-01-31', 'Bench bill'));
    await app.host.commit(({ append }) => append(events));
  }
  const head = await app.store.headPosition();
  await app.storage.transaction(async (tx) => {
    for (const reaction of app.host.reactions) await app.ledger.advance(tx, reaction.name, head);
  });
  for (let rows = await app.outbox.pending(1000); rows.length > 0; rows = await app.outbox.pending(1000)) await app.outbox.markPublished(rows.map((r) => r.id));
}
