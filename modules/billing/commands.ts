// Billing use cases: check against the projections, decide, append (the inline projection writes billing_bills).
import { randomUUID } from 'node:crypto';
import type { EventContext } from '../../src/events/envelope.js';
import type { Commit } from '../../src/runtime/module.js';
import { toBill, type Bill, type BillsRepository } from './BillsRepository.js';
import { decideCreateBill } from './decide.js';
import type { CreateBillBody } from './schema.js';

export function createBillingCommands(repo: BillsRepository, commit: Commit) {
  return {
    createBill(input: CreateBillBody, ctx: EventContext): Bill {
      return commit((uow) => {
        const billId = randomUUID();
        const description = input.description === '' ? null : input.description;
        const events = decideCreateBill({ billId, ...input, description }, repo.hasUser(input.userId), ctx);
        uow.append(events, { expectedVersion: 0 });
        return toBill(repo.get(billId)!);
      });
    },
  };
}

export type BillingCommands = ReturnType<typeof createBillingCommands>;
