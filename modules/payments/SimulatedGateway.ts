// The built-in payment gateway: card-network style test tokens, async latency, and a ledger of what it charged.
import type { Statement } from 'better-sqlite3';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../../src/db/openDatabase.js';
import { ValidationError } from '../../src/errors.js';
import type { ChargeRequest, ChargeResult, PaymentGateway } from './PaymentGateway.js';

/** The test tokens of CONTRACT.md and what each one does. */
export const SIMULATOR_TOKENS: Readonly<Record<string, ChargeResult>> = {
  tok_visa: { status: 'succeeded' },
  tok_mastercard: { status: 'succeeded' },
  tok_chargeDeclined: { status: 'failed', reason: 'card_declined' },
  tok_chargeDeclinedInsufficientFunds: { status: 'failed', reason: 'insufficient_funds' },
};

interface ChargeRow {
  status: 'succeeded' | 'failed';
  reason: string | null;
}

/**
 * Its ledger lives in SQLite (payments_simulator_charges) so that, like a real gateway, it still knows a charge
 * after paybus restarts, and so tests can count charges.
 */
export class SimulatedGateway implements PaymentGateway {
  private readonly find: Statement;
  private readonly record: Statement;
  private readonly count: Statement;

  constructor(
    db: Db,
    private readonly latencyMs: number,
  ) {
    this.find = db.prepare('SELECT status, reason FROM payments_simulator_charges WHERE payment_id = ?');
    this.record = db.prepare(
      `INSERT OR IGNORE INTO payments_simulator_charges (payment_id, bill_id, amount, currency, source, status, reason, charged_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.count = db.prepare('SELECT COUNT(*) FROM payments_simulator_charges WHERE bill_id = ?').pluck();
  }

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    const outcome = Object.hasOwn(SIMULATOR_TOKENS, request.source) ? SIMULATOR_TOKENS[request.source]! : undefined;
    if (!outcome) {
      const known = Object.keys(SIMULATOR_TOKENS).join(', ');
      throw new ValidationError([{ field: 'source', message: `is not a payment source the gateway accepts (test tokens: ${known})` }]);
    }
    const earlier = this.find.get(request.paymentId) as ChargeRow | undefined;
    if (earlier) return toResult(earlier);
    await sleep(this.latencyMs); // the network: other requests run meanwhile
    const { paymentId, billId, amount, currency, source } = request;
    const reason = outcome.status === 'failed' ? outcome.reason : null;
    // OR IGNORE + read back: two charges racing with one payment id still charge once and agree on the result.
    this.record.run(paymentId, billId, amount, currency, source, outcome.status, reason, new Date().toISOString());
    return toResult(this.find.get(paymentId) as ChargeRow);
  }

  /** How many charges reached the card network for a bill. */
  chargesFor(billId: string): number {
    return this.count.get(billId) as number;
  }
}

function toResult(row: ChargeRow): ChargeResult {
  return row.status === 'succeeded' ? { status: 'succeeded' } : { status: 'failed', reason: row.reason ?? 'declined' };
}
