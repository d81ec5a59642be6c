// Paying a bill without ever charging it twice: reserve (commit), charge (no transaction open), record (commit).
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ConflictError, ServiceUnavailableError, ValidationError } from '../../src/errors.js';
import type { EventContext } from '../../src/events/envelope.js';
import type { Commit, GroupedCommit } from '../../src/runtime/module.js';
import { decideOutcome, decideReservation } from './decide.js';
import type { ChargeResult, PaymentGateway } from './PaymentGateway.js';
import type { Attempt, Payment, PaymentsRepository } from './PaymentsRepository.js';
import type { PayBody } from './schema.js';

/**
 * The reservation and the record use grouped commits: concurrent payments share their transactions (one commit a
 * turn for all of them), each still its own savepoint, durable before its answer.
 */
export function createPaymentCommands(repo: PaymentsRepository, { commit, commitGrouped }: { commit: Commit; commitGrouped: GroupedCommit }, gateway: PaymentGateway, log: Logger) {
  /** Attempts this process is charging right now: never "resumed", they are live. */
  const inFlight = new Set<string>();

  /** Commit 1: the bill is checked and the attempt reserved before any money moves. */
  async function reserve(input: PayBody, ctx: EventContext): Promise<Attempt> {
    const paymentId = randomUUID();
    try {
      return await commitGrouped(() => {
        const attempt = decideReservation(repo.getBill(input.billId), repo.liveAttempt(input.billId), { paymentId, ...input }, ctx, new Date().toISOString());
        repo.insertAttempt(attempt);
        // Live from the moment it is committed: resumeInFlight must never take it for one a crash left behind.
        inFlight.add(paymentId);
        return attempt;
      });
    } catch (error) {
      inFlight.delete(paymentId);
      // Only reachable if two writers share the database file: the unique index refused the second reservation.
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new ConflictError(`bill ${input.billId} has a payment in progress`);
      throw error;
    }
  }

  /** Commit 2: the gateway's answer, the attempt's end and the payment event, together. */
  function record(attempt: Attempt, result: ChargeResult, ctx: EventContext): Promise<Payment> {
    return commitGrouped((uow) => {
      const existing = repo.getPayment(attempt.id);
      if (existing) return existing;
      repo.finishAttempt(attempt.id, result.status, new Date().toISOString());
      uow.append(decideOutcome(attempt, result, ctx), { expectedVersion: 0 });
      return repo.getPayment(attempt.id)!;
    });
  }

  async function charge(attempt: Attempt): Promise<ChargeResult> {
    const { id: paymentId, billId, amount, currency, source } = attempt;
    try {
      return await gateway.charge({ paymentId, billId, amount, currency, source });
    } catch (error) {
      if (error instanceof ValidationError) {
        // Refused without charging: nothing happened, so the reservation goes and the client hears 400.
        commit(() => repo.releaseAttempt(paymentId));
        throw error;
      }
      // The outcome is unknown: the reservation stays, so nobody can charge the bill again until a restart
      // resumes the attempt with the same payment id (the gateway's idempotency key).
      log.error({ err: error, paymentId, billId }, 'payment gateway failed; attempt left in flight');
      throw new ServiceUnavailableError('the payment gateway did not answer; the payment will be resumed');
    }
  }

  return {
    async pay(input: PayBody, ctx: EventContext): Promise<Payment> {
      const attempt = await reserve(input, ctx);
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
    async resumeInFlight(): Promise<number> {
      const attempts = repo.processingAttempts().filter((a) => !inFlight.has(a.id));
      for (const attempt of attempts) {
        const ctx: EventContext = { correlationId: attempt.correlationId ?? undefined, causationId: null };
        const result = await charge(attempt).catch((error: unknown) => (log.error({ err: error, paymentId: attempt.id }, 'could not resume payment'), undefined));
        if (result) await record(attempt, result, ctx);
      }
      return attempts.length;
    },
  };
}

export type PaymentCommands = ReturnType<typeof createPaymentCommands>;
