// The built-in payment gateway: card-network style test tokens, async latency, and a ledger of what it charged.
import { setTimeout as sleep } from 'node:timers/promises';
import { type Sql, ValidationError } from '../../src/moduleKit.js';
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

const SQL = {
  find: 'SELECT status, reason FROM payments_simulator_charges WHERE payment_id = ?',
  record: `INSERT INTO payments_simulator_charges (payment_id, bill_id, amount, currency, source, status, reason, charged_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (payment_id) DO NOTHING`,
  count: 'SELECT COUNT(*) FROM payments_simulator_charges WHERE bill_id = ?',
};

/**
 * Its ledger lives in the database (payments_simulator_charges) so that, like a real gateway, it still knows a
 * charge after paybus restarts, and so tests can count charges. Its statements commit on their own: it stands for
 * a system outside paybus's transactions.
 */
export class SimulatedGateway implements PaymentGateway {
  constructor(
    private readonly db: Sql,
    private readonly latencyMs: number,
  ) {}

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    const outcome = Object.hasOwn(SIMULATOR_TOKENS, request.source) ? SIMULATOR_TOKENS[request.source]! : undefined;
    if (!outcome) {
      const known = Object.keys(SIMULATOR_TOKENS).join(', ');
      throw new ValidationError([{ field: 'source', message: `is not a payment source the gateway accepts (test tokens: ${known})` }]);
    }
    const earlier = await this.db.one<ChargeRow>(SQL.find, [request.paymentId]);
    if (earlier) return toResult(earlier);
    if (this.latencyMs > 0) await sleep(this.latencyMs); // the network: other requests run meanwhile
    const { paymentId, billId, amount, currency, source } = request;
    const reason = outcome.status === 'failed' ? outcome.reason : null;
    // DO NOTHING + read back: two charges racing with one payment id still charge once and agree on the result.
    await this.db.run(SQL.record, [paymentId, billId, amount, currency, source, outcome.status, reason, new Date().toISOString()]);
    return toResult((await this.db.one<ChargeRow>(SQL.find, [paymentId]))!);
  }

  /** How many charges reached the card network for a bill. */
  async chargesFor(billId: string): Promise<number> {
    return (await this.db.value<number>(SQL.count, [billId]))!;
  }
}

function toResult(row: ChargeRow): ChargeResult {
  return row.status === 'succeeded' ? { status: 'succeeded' } : { status: 'failed', reason: row.reason ?? 'declined' };
}
