/**
 * In-memory state of the stand-in. Maps keep insertion order, which is creation order; list
 * endpoints return newest first like Stripe does.
 */
import type {
  BalanceTransactionRecord,
  ChargeRecord,
  CheckoutSessionRecord,
  DisputeRecord,
  EventRecord,
  PaymentIntentRecord,
  PaymentMethodRecord,
  RefundRecord,
} from './types';

export interface CreatedCounts {
  payment_intents: number;
  charges: number;
  refunds: number;
  disputes: number;
  checkout_sessions: number;
  events: number;
  balance_transactions: number;
}

function zeroCounts(): CreatedCounts {
  return {
    payment_intents: 0,
    charges: 0,
    refunds: 0,
    disputes: 0,
    checkout_sessions: 0,
    events: 0,
    balance_transactions: 0,
  };
}

export class Store {
  readonly paymentIntents = new Map<string, PaymentIntentRecord>();
  readonly paymentMethods = new Map<string, PaymentMethodRecord>();
  readonly charges = new Map<string, ChargeRecord>();
  readonly refunds = new Map<string, RefundRecord>();
  readonly disputes = new Map<string, DisputeRecord>();
  readonly checkoutSessions = new Map<string, CheckoutSessionRecord>();
  readonly events = new Map<string, EventRecord>();
  readonly balanceTransactions = new Map<string, BalanceTransactionRecord>();
  /** How many objects were really created (idempotent replays don't count). */
  created: CreatedCounts = zeroCounts();
  /** Requests seen, keyed "METHOD /path" and "METHOD /route/:id". */
  requests: Record<string, number> = {};
  requestsByRoute: Record<string, number> = {};
  /**
   * Requests by route per API key (masked, as Stripe shows keys), so a caller sharing the stand-in
   * with a test driver (the bench) can count only the calls made with its own key.
   */
  requestsByKey: Record<string, Record<string, number>> = {};
  idempotentReplays = 0;
  faultsInjected = 0;
  private sequence = 0;

  /** Monotonic order for objects created within the same second. */
  nextSeq(): number {
    this.sequence += 1;
    return this.sequence;
  }

  reset(): void {
    this.paymentIntents.clear();
    this.paymentMethods.clear();
    this.charges.clear();
    this.refunds.clear();
    this.disputes.clear();
    this.checkoutSessions.clear();
    this.events.clear();
    this.balanceTransactions.clear();
    this.created = zeroCounts();
    this.requests = {};
    this.requestsByRoute = {};
    this.requestsByKey = {};
    this.idempotentReplays = 0;
    this.faultsInjected = 0;
  }
}
