// What payments needs from a payment gateway; the built-in one is SimulatedGateway.

export interface ChargeRequest {
  /** The payment's id, sent as the gateway's idempotency key. */
  paymentId: string;
  billId: string;
  amount: number;
  currency: string;
  source: string;
}

export type ChargeResult = { status: 'succeeded' } | { status: 'failed'; reason: string };

export interface PaymentGateway {
  /**
   * Charges `source` at most once per paymentId: asked again with the same paymentId, the gateway returns the
   * first result without charging again (as card gateways do with idempotency keys). That is what makes it safe
   * to resume a payment a crash interrupted. Throws ValidationError (field `source`) when it refuses the source
   * without charging it; any other error means the outcome is unknown.
   */
  charge(request: ChargeRequest): Promise<ChargeResult>;
}
