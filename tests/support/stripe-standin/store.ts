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
import type { DomainRecord } from './resources/payment-method-domains';
import type { MandateRecord } from './resources/mandates';
import type { Params } from './form';

/** One /v1 request as received (params decoded), for tests asserting what the code under test sent. */
export interface LoggedRequest {
  method: string;
  path: string;
  /** "POST /v1/payment_intents/:id/confirm". */
  route: string;
  params: Params;
}

/** The request log keeps the newest entries only, so a long run (the bench) cannot grow it without bound. */
export const REQUEST_LOG_LIMIT = 2000;

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
  readonly paymentMethodDomains = new Map<string, DomainRecord>();
  readonly mandates = new Map<string, MandateRecord>();
  /** The newest /v1 requests, oldest first (REQUEST_LOG_LIMIT). */
  requestLog: LoggedRequest[] = [];
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
  /** /v1 requests received and not yet answered or dropped (a hanging fault's among them); kept by reset(). */
  inFlight = 0;
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
    this.paymentMethodDomains.clear();
    this.mandates.clear();
    this.requestLog = [];
    this.created = zeroCounts();
    this.requests = {};
    this.requestsByRoute = {};
    this.requestsByKey = {};
    this.idempotentReplays = 0;
    this.faultsInjected = 0;
  }
}
