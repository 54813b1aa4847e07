/**
 * What the plugin needs from a payment gateway, in the plugin's own terms. Stripe is the only
 * implementation today; settlement and routes only see these shapes, so another gateway can slot in.
 */
import type { DisputeStatus, PaymentStatus } from '../domain';

export interface ProviderAccount {
  accountId: string;
  livemode: boolean | null;
}

export type ConnectionFailureReason = 'bad_key' | 'unreachable' | 'permission' | 'unknown';

export class ProviderConnectionError extends Error {
  constructor(
    readonly reason: ConnectionFailureReason,
    message: string,
  ) {
    super(message);
  }
}

/** A gateway call failed: `retryable` when the same call (same idempotency key) may succeed later. */
export class ProviderRequestError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly code: string | null = null,
    readonly httpStatus: number | null = null,
  ) {
    super(message);
  }
}

/** Metadata the plugin puts on every object it creates, to find the invoice again. */
export interface PaymentMetadata {
  invoiceDocumentId: string;
  invoiceNumber: string;
  /** The invoice portion; the fee is on top. */
  portion: number;
  fee: number;
  /** Set on payments made through a Checkout session. */
  viaCheckout?: boolean;
}

export interface ProviderRefund {
  id: string;
  amount: number;
  currency: string;
  status: 'pending' | 'succeeded' | 'failed' | 'canceled';
  failureReason: string | null;
  reason: string | null;
}

export interface ProviderDispute {
  id: string;
  amount: number;
  currency: string;
  /** What the dispute means for the money (see DisputeStatus). */
  status: DisputeStatus;
  /** The gateway's own status word, kept for people and for statuses the plugin does not know. */
  providerStatus: string;
  reason: string | null;
}

/** A payment (Stripe: PaymentIntent + its latest charge), as the gateway reports it now. */
export interface ProviderPayment {
  id: string;
  status: PaymentStatus;
  /** Total charged or to charge (portion + fee). */
  amount: number;
  amountReceived: number;
  currency: string;
  livemode: boolean;
  chargeId: string | null;
  method: string | null;
  clientSecret: string | null;
  failureCode: string | null;
  failureMessage: string | null;
  metadata: PaymentMetadata | null;
  /** Refunds on the charge, and the amount refunded in total. */
  amountRefunded: number;
  refunds: ProviderRefund[];
  dispute: ProviderDispute | null;
  created: number;
}

export interface ProviderCheckoutSession {
  id: string;
  status: 'open' | 'complete' | 'expired';
  paymentStatus: 'paid' | 'unpaid' | 'no_payment_required';
  paymentId: string | null;
  url: string | null;
  clientSecret: string | null;
  amount: number;
  currency: string;
  metadata: PaymentMetadata | null;
  livemode: boolean;
}

export interface CreatePaymentInput {
  amount: number;
  currency: string;
  metadata: PaymentMetadata;
  description: string;
  receiptEmail: string | null;
  idempotencyKey: string;
}

export interface CreateCheckoutInput {
  amount: number;
  currency: string;
  metadata: PaymentMetadata;
  productName: string;
  customerEmail: string | null;
  uiMode: 'hosted' | 'embedded';
  successUrl: string;
  cancelUrl: string;
  returnUrl: string;
  idempotencyKey: string;
}

/** An event as the gateway sent it, after its signature was verified. */
export interface ProviderEvent {
  id: string;
  type: string;
  created: number;
  livemode: boolean;
  apiVersion: string | null;
  objectId: string | null;
  objectType: string | null;
  payload: unknown;
}

export interface PaymentProvider {
  readonly name: string;
  /** A real call to the gateway proving the credentials work. */
  verifyCredentials(): Promise<ProviderAccount>;
  createPayment(input: CreatePaymentInput): Promise<ProviderPayment>;
  retrievePayment(id: string): Promise<ProviderPayment>;
  updatePaymentAmount(id: string, amount: number, metadata: PaymentMetadata, idempotencyKey: string): Promise<ProviderPayment>;
  cancelPayment(id: string, idempotencyKey: string): Promise<ProviderPayment>;
  createRefund(paymentId: string, amount: number, metadata: Record<string, string>, idempotencyKey: string): Promise<ProviderRefund>;
  /** Which payment a refund, charge or dispute belongs to. */
  paymentIdForRefund(refundId: string): Promise<string | null>;
  paymentIdForCharge(chargeId: string): Promise<string | null>;
  paymentIdForDispute(disputeId: string): Promise<string | null>;
  createCheckoutSession(input: CreateCheckoutInput): Promise<ProviderCheckoutSession>;
  retrieveCheckoutSession(id: string): Promise<ProviderCheckoutSession>;
  /** The Checkout session a payment was made through, if any. */
  checkoutSessionIdForPayment(paymentId: string): Promise<string | null>;
  listPendingPayments?(createdAfter: number): Promise<ProviderPayment[]>;
  /** Verifies a webhook signature over the raw body; throws on a missing, forged or stale one. */
  verifyEvent(rawBody: string, signature: string | undefined, secret: string, toleranceSeconds: number): ProviderEvent;
  /** Link to the gateway's dashboard for an object, in the right mode. */
  dashboardUrl(kind: 'payment' | 'refund' | 'dispute' | 'checkout', id: string, livemode: boolean): string;
}
