// Paying a bill without ever charging it twice: reserve (commit), charge (no transaction open), record (commit).
import type { Logger } from 'pino';
import { type Commit, ConflictError, type EventContext, isUniqueViolation, newId, ServiceUnavailableError, type Sql, ValidationError } from '../../src/moduleKit.js';
import { type Attempt, decideOutcome, decideReservation, ownBill, type Payment } from './decide.js';
import type { ChargeResult, PaymentGateway } from './PaymentGateway.js';
import { paymentsRepository as payments } from './paymentsRepository.js';
import type { PayBody } from './schema.js';

export interface PaymentDeps {
  db: Sql;
  commit: Commit;
  /** This process (its Instance id): the owner written on the attempts it charges. */
  owner: string;
  /** How long an attempt stays this process's without a renewal (LEASE_TTL_MS); renewed every third of it. */
  leaseMs: number;
}

/** Abandoned attempts read at a time by a resume. */
const RESUME_PAGE = 20;

/**
 * Each attempt in flight has an owner and a lease on the database's clock, renewed while its charge runs: another
 * process resumes it only once the lease expired, so a live attempt on another replica is never taken for one a
 * crash left. The reservation and the record are grouped commits: concurrent payments share their transactions
 * where the engine gains from it (SQLite: one commit a turn for all of them), each still its own savepoint.
 */
export function createPaymentCommands({ db, commit, owner, leaseMs }: PaymentDeps, gateway: PaymentGateway, log: Logger) {
  /** Commit 1: the bill is checked and the attempt reserved, owned by this process, before any money moves. */
  async function reserve(input: PayBody, ctx: EventContext, boundTo: string | null): Promise<Attempt> {
    const paymentId = newId();
    try {
      return await commit(
        async ({ tx }) => {
          const bill = ownBill(await payments.getBill(tx, input.billId), input.billId, boundTo);
          const attempt = decideReservation(bill, await payments.liveAttempt(tx, input.billId), { paymentId, ...input }, ctx, new Date().toISOString());
          await payments.insertAttempt(tx, attempt, owner, leaseMs);
          return attempt;
        },
        { context: ctx },
      );
    } catch (error) {
      // Two writers raced past the check (another process on the same database): the unique index refused the second.
      if (isUniqueViolation(error)) throw new ConflictError(`bill ${input.billId} has a payment in progress`);
      throw error;
    }
  }

  /**
   * Commit 2: the gateway's answer, the attempt's end and the payment event, together. `result` undefined: the
   * request's Idempotency-Key holds this commit already (see pay), which returns the payment it stored.
   */
  async function record(attempt: Attempt, result: ChargeResult | undefined, ctx: EventContext): Promise<Payment> {
    try {
      return await commit(
        async ({ tx, append }) => {
          const existing = await payments.getPayment(tx, attempt.id);
          if (existing) return existing;
          if (!result) throw new Error(`payment ${attempt.id} has no charge result to record`);
          await payments.finishAttempt(tx, attempt.id, result.status, new Date().toISOString());
          await append(decideOutcome(attempt, result, ctx), { expectedVersion: 0 });
          return (await payments.getPayment(tx, attempt.id))!;
        },
        { context: ctx },
      );
    } catch (error) {
      // This process's lease lapsed (a stall longer than it) and another resumed the attempt and recorded first: the
      // gateway gave both the same answer for the payment id, so the first record is this payment too.
      const recorded = await payments.getPayment(db, attempt.id).catch(() => undefined);
      if (recorded) return recorded;
      throw error;
    }
  }

  /** Calls the gateway, renewing the attempt's lease meanwhile: a charge may outlive one lease. */
  async function charge(attempt: Attempt): Promise<ChargeResult> {
    const { id: paymentId, billId, amount, currency, source } = attempt;
    const renewal = setInterval(() => {
      payments.renewLease(db, paymentId, owner, leaseMs).then(
        (held) => held || log.warn({ paymentId }, 'payment attempt lease lost while charging; another process may resume it'),
        (error: unknown) => log.warn({ err: error, paymentId }, 'could not renew the payment attempt lease'),
      );
    }, leaseMs / 3);
    renewal.unref();
    try {
      return await gateway.charge({ paymentId, billId, amount, currency, source });
    } catch (error) {
      if (error instanceof ValidationError) {
        // Refused without charging: nothing happened, so the reservation goes and the client hears 400.
        await commit(({ tx }) => payments.releaseAttempt(tx, paymentId));
        throw error;
      }
      // The outcome is unknown: the reservation stays, so nobody can charge the bill again until the attempt is
      // resumed with the same payment id (the gateway's idempotency key). Its lease goes now: the next resume, on
      // whichever process runs it, takes it at once.
      log.error({ err: error, paymentId, billId }, 'payment gateway failed; attempt left in flight');
      await payments.expireLease(db, paymentId, owner).catch(() => {});
      throw new ServiceUnavailableError('the payment gateway did not answer; the payment will be resumed');
    } finally {
      clearInterval(renewal);
    }
  }

  /** Claims one abandoned attempt (one UPDATE, conditional on its expired lease) and finishes it; false when another process had it. */
  async function resumeOne(attempt: Attempt & { owner: string | null }): Promise<boolean> {
    if (!(await payments.claimAttempt(db, attempt.id, owner, leaseMs))) return false;
    log.info({ paymentId: attempt.id, billId: attempt.billId, leftBy: attempt.owner }, 'resuming a payment attempt whose owner stopped renewing its lease');
    const ctx: EventContext = { correlationId: attempt.correlationId ?? undefined, causationId: null, actor: attempt.actor };
    try {
      await record(attempt, await charge(attempt), ctx);
      return true;
    } catch (error) {
      // One attempt that cannot be finished now does not keep the others waiting; it stays for a later run.
      log.error({ err: error, paymentId: attempt.id }, 'could not resume payment');
      return false;
    }
  }

  return {
    /** `boundTo`: the caller acts for this user only, and another user's bill is not found (404). */
    async pay(input: PayBody, ctx: EventContext, boundTo: string | null = null): Promise<Payment> {
      const attempt = await reserve(input, ctx, boundTo);
      // Taken over from a request that died after recording the payment too: the record answers with that payment,
      // and the gateway is not asked again.
      const charged = ctx.keyCommits?.nextWasMade() ? undefined : await charge(attempt);
      return record(attempt, charged, ctx);
    },

    /**
     * Resumes attempts whose owner stopped renewing their lease (it was killed between the two commits, or hangs).
     * The gateway answers a repeated payment id with its first result, so a charge that went through is recorded,
     * and one that never reached it is made now. Returns how many it finished.
     */
    async resumeInFlight(signal?: AbortSignal): Promise<number> {
      let resumed = 0;
      for (;;) {
        const page = await payments.abandonedAttempts(db, RESUME_PAGE);
        let finished = 0;
        for (const attempt of page) {
          if (signal?.aborted) return resumed;
          if (await resumeOne(attempt)) finished++;
        }
        resumed += finished;
        // A full page either finished some (they leave the page for good) or ends the run: what is left fails for now,
        // or another process claimed it.
        if (page.length < RESUME_PAGE || finished === 0) return resumed;
      }
    },
  };
}

export type PaymentCommands = ReturnType<typeof createPaymentCommands>;
