// Paying a bill without ever charging it twice: reserve (commit), charge (no transaction open), record (commit).
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { type Commit, ConflictError, type EventContext, isUniqueViolation, ServiceUnavailableError, type Sql, ValidationError } from '../../src/moduleKit.js';
import { type Attempt, decideOutcome, decideReservation, ownBill, type Payment } from './decide.js';
import type { ChargeResult, PaymentGateway } from './PaymentGateway.js';
import { paymentsRepository as payments } from './paymentsRepository.js';
import type { PayBody } from './schema.js';

/**
 * The reservation and the record are grouped commits: concurrent payments share their transactions where the
 * engine gains from it (SQLite: one commit a turn for all of them), each still its own savepoint, durable before
 * its answer.
 */
export function createPaymentCommands({ db, commit }: { db: Sql; commit: Commit }, gateway: PaymentGateway, log: Logger) {
  /** Attempts this process is charging right now: never "resumed", they are live. */
  const inFlight = new Set<string>();

  /** Commit 1: the bill is checked and the attempt reserved before any money moves. */
  async function reserve(input: PayBody, ctx: EventContext, boundTo: string | null): Promise<Attempt> {
    const paymentId = randomUUID();
    try {
      return await commit(
        async ({ tx }) => {
          const bill = ownBill(await payments.getBill(tx, input.billId), input.billId, boundTo);
          const attempt = decideReservation(bill, await payments.liveAttempt(tx, input.billId), { paymentId, ...input }, ctx, new Date().toISOString());
          await payments.insertAttempt(tx, attempt);
          // Live from the moment it is committed: resumeInFlight must never take it for one a crash left behind.
          inFlight.add(paymentId);
          return attempt;
        },
        { grouped: true },
      );
    } catch (error) {
      inFlight.delete(paymentId);
      // Two writers raced past the check (another process on the same database): the unique index refused the second.
      if (isUniqueViolation(error)) throw new ConflictError(`bill ${input.billId} has a payment in progress`);
      throw error;
    }
  }

  /** Commit 2: the gateway's answer, the attempt's end and the payment event, together. */
  function record(attempt: Attempt, result: ChargeResult, ctx: EventContext): Promise<Payment> {
    return commit(
      async ({ tx, append }) => {
        const existing = await payments.getPayment(tx, attempt.id);
        if (existing) return existing;
        await payments.finishAttempt(tx, attempt.id, result.status, new Date().toISOString());
        await append(decideOutcome(attempt, result, ctx), { expectedVersion: 0 });
        return (await payments.getPayment(tx, attempt.id))!;
      },
      { grouped: true },
    );
  }

  async function charge(attempt: Attempt): Promise<ChargeResult> {
    const { id: paymentId, billId, amount, currency, source } = attempt;
    try {
      return await gateway.charge({ paymentId, billId, amount, currency, source });
    } catch (error) {
      if (error instanceof ValidationError) {
        // Refused without charging: nothing happened, so the reservation goes and the client hears 400.
        await commit(({ tx }) => payments.releaseAttempt(tx, paymentId));
        throw error;
      }
      // The outcome is unknown: the reservation stays, so nobody can charge the bill again until the attempt is
      // resumed with the same payment id (the gateway's idempotency key).
      log.error({ err: error, paymentId, billId }, 'payment gateway failed; attempt left in flight');
      throw new ServiceUnavailableError('the payment gateway did not answer; the payment will be resumed');
    }
  }

  return {
    /** `boundTo`: the caller acts for this user only, and another user's bill is not found (404). */
    async pay(input: PayBody, ctx: EventContext, boundTo: string | null = null): Promise<Payment> {
      const attempt = await reserve(input, ctx, boundTo);
      try {
        return await record(attempt, await charge(attempt), ctx);
      } finally {
        inFlight.delete(attempt.id);
      }
    },

    /**
     * Resumes attempts a crash left between the two commits. The gateway answers a repeated payment id with its
     * first result, so a charge that went through is recorded, and one that never reached it is made now.
     */
    async resumeInFlight(signal?: AbortSignal): Promise<number> {
      const attempts = (await payments.processingAttempts(db)).filter((a) => !inFlight.has(a.id));
      let resumed = 0;
      for (const attempt of attempts) {
        if (signal?.aborted) break;
        const ctx: EventContext = { correlationId: attempt.correlationId ?? undefined, causationId: null, actor: attempt.actor };
        try {
          await record(attempt, await charge(attempt), ctx);
          resumed++;
        } catch (error) {
          // One attempt that cannot be finished now does not keep the others waiting; it stays for the next run.
          log.error({ err: error, paymentId: attempt.id }, 'could not resume payment');
        }
      }
      return resumed;
    },
  };
}

export type PaymentCommands = ReturnType<typeof createPaymentCommands>;
