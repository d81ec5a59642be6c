// Billing use cases: check against the projections, decide, append (the inline projection writes billing_bills).
import { type Commit, type EventContext, newId } from '../../src/moduleKit.js';
import { billsRepository as bills } from './billsRepository.js';
import { type Bill, decideCreateBill, toBill } from './decide.js';
import type { CreateBillBody } from './schema.js';

export function createBillingCommands(commit: Commit) {
  return {
    createBill(input: CreateBillBody, ctx: EventContext): Promise<Bill> {
      return commit(async ({ tx, append }) => {
        const billId = newId();
        const description = input.description === '' ? null : input.description;
        const events = decideCreateBill({ billId, ...input, description }, await bills.hasUser(tx, input.userId), ctx);
        await append(events, { expectedVersion: 0 });
        return toBill((await bills.get(tx, billId))!);
      }, { context: ctx });
    },
  };
}

export type BillingCommands = ReturnType<typeof createBillingCommands>;
