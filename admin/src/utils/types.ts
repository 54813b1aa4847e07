/** Shapes of the plugin's admin API responses (server/src/services/*, server/src/controllers/admin.ts). */

/** GET /settings (server/src/services/settings.ts SettingsView). */
export interface SettingsView {
  publishableKey: string | null;
  secretKey: { set: boolean; masked: string | null; kind: 'secret' | 'restricted' | null };
  webhookSecret: { set: boolean; masked: string | null };
  mode: 'test' | 'live' | null;
  webhookUrl: string;
  encryptionKeyConfigured: boolean;
  connection: {
    status: 'not_configured' | 'connected' | 'error';
    accountId: string | null;
    message: string | null;
    checkedAt: string | null;
  };
  defaultCurrency: string;
  partialPayments: boolean;
  partialMinimumAmount: number;
  partialMinimumPercent: number;
  checkoutMode: 'payment_element' | 'hosted' | 'embedded';
  feePercentBps: number;
  feeFixedAmount: number;
  refundPolicy: 'reopen' | 'keep_paid';
  refundFeePolicy: 'keep_fee' | 'refund_fee';
  notificationEmail: string | null;
  sendFailureNotices: boolean;
  sendDisputeAlerts: boolean;
  reconcileAfterMinutes: number;
  refundOverpayments: boolean;
  abandonedAuthenticationMinutes: number;
  paymentTermDays: number;
  defaultLanguage: 'en' | 'fr' | 'de' | 'es';
  /** Payment reminders (server/src/domain/reminders.ts ReminderSettings). */
  reminders: ReminderSettingsView;
  /** Autopay (server/src/domain/autopay.ts AutopaySettings); absent from servers before it existed. */
  autopay?: { enabled: boolean; retryDays: number[]; chargeHour: number };
  mollie: {
    apiKey: { set: boolean; masked: string | null };
    mode: 'test' | 'live' | null;
    webhookUrl: string;
    connection: SettingsView['connection'];
  };
  payLinkProvider: 'stripe' | 'mollie';
  /** The API version each versioned gateway's SDK is pinned to (Stripe). */
  apiVersions?: PinnedApiVersion[];
  /** Seller branding (server/src/services/settings-branding.ts). */
  branding: BrandingView;
}

export interface BrandingView {
  name: string | null;
  address: string | null;
  taxId: string | null;
  logoFileId: number | null;
  accentColor: string | null;
  footerText: string | null;
  paymentInstructions: string | null;
}

export interface ReminderSettingsView {
  enabled: boolean;
  beforeDays: number[];
  onDueDate: boolean;
  afterDays: number[];
  timeZone: string;
  sendHour: number;
}

/** GET /invoices/:id/reminders (server/src/services/reminders.ts InvoiceReminders). */
export interface InvoiceRemindersView {
  enabled: boolean;
  settingsEnabled: boolean;
  timeZone: string;
  next: { key: string; kind: 'before' | 'due' | 'after'; days: number; date: string; at: string } | null;
  reason:
    | 'reminders_off'
    | 'switched_off'
    | 'draft'
    | 'paid'
    | 'void'
    | 'no_balance'
    | 'no_due_date'
    | 'no_email'
    | 'none_left'
    | null;
  history: Array<{
    key: string;
    kind: 'before' | 'due' | 'after';
    days: number;
    plannedAt: string | null;
    status: 'sending' | 'sent' | 'skipped' | 'failed';
    sentAt: string | null;
    attempts: number;
  }>;
}

/** GET /status: what every page header shows, readable with payments.read alone. */
export interface PluginStatus {
  mode: 'test' | 'live' | null;
  connection: { status: SettingsView['connection']['status']; accountId: string | null };
}

export interface ApiErrorBody {
  error?: {
    status?: number;
    name?: string;
    message?: string;
    details?: { errors?: Array<{ path: string[]; message: string }> };
  };
}

export interface Pagination {
  page: number;
  pageSize: number;
  total: number;
  pageCount: number;
}

export interface Paginated<T> {
  results: T[];
  pagination: Pagination;
}

export const INVOICE_STATUSES = ['draft', 'sent', 'viewed', 'partially_paid', 'paid', 'void'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

/** A row of GET /invoices. */
export interface InvoiceRow {
  documentId: string;
  number: string;
  state: InvoiceStatus;
  currency: string;
  total: number;
  balanceDue: number;
  amountPaid: number;
  dueDate: string | null;
  issueDate: string | null;
  billingName: string | null;
  billingEmail: string | null;
  needsAttention: boolean | null;
  disputeOpen: boolean | null;
  createdAt: string;
  overdue: boolean;
  totalFormatted: string;
  balanceFormatted: string;
}

/** `invoice` of GET /invoices/:id. */
export interface InvoiceDetail extends InvoiceRow {
  subtotalFormatted: string;
  taxFormatted: string;
  discountFormatted: string;
  amountPaidFormatted: string;
  amountRefundedFormatted: string;
  amountRefunded: number;
  taxRateBps: number | null;
  currencyExponent: number;
  amountStep: number;
  attentionReason: string | null;
  sentAt: string | null;
  viewedAt: string | null;
  voidReason?: string | null;
  voidedAt?: string | null;
  paidAt: string | null;
  payLink: string | null;
  /** The refund dialog's default for what a refund means for the invoice (the "Refunds" setting). */
  refundDefault?: 'reopen' | 'keep_paid';
}

export const MANUAL_METHODS = ['check', 'ach', 'wire', 'cash', 'other'] as const;
export type ManualMethod = (typeof MANUAL_METHODS)[number];

/** English names of payment methods (defaultMessage of `method.<code>`). */
/** A payment's provider by name ("Stripe", "Mollie"): the server's label, else its id capitalised. */
export const providerName = (p: Pick<PaymentView, 'provider' | 'providerLabel'>): string =>
  p.providerLabel ?? p.provider.charAt(0).toUpperCase() + p.provider.slice(1);

export const METHOD_LABELS: Record<string, string> = {
  check: 'Check',
  ach: 'ACH transfer',
  wire: 'Wire transfer',
  cash: 'Cash',
  other: 'Other',
  card: 'Card',
  checkout: '{provider} Checkout',
  sepa_debit: 'SEPA Direct Debit',
  us_bank_account: 'ACH Direct Debit',
  ideal: 'iDEAL',
  bancontact: 'Bancontact',
};

export type PaymentStatus =
  | 'pending'
  | 'requires_action'
  | 'processing'
  | 'succeeded'
  | 'failed'
  | 'canceled'
  | 'refunded'
  | 'partially_refunded'
  | 'disputed';

export interface RefundView {
  /** Stripe's refund id; null while the refund is reserved or its outcome is unknown. */
  id: string | null;
  documentId?: string;
  amount: number;
  amountFormatted: string;
  /** requires_action counts as pending; unknown = Stripe did not confirm it (checked before any retry). */
  status: 'pending' | 'requires_action' | 'succeeded' | 'failed' | 'canceled' | 'unknown';
  reason: string | null;
  /** Stripe's failure_reason code (or the plugin's not_created / provider_refused), and the server's words for it. */
  failureReason?: string | null;
  failureText?: string | null;
  /** What the refund means for the invoice: the balance reopened, or the invoice kept paid. */
  invoiceEffect?: 'reopen' | 'keep_paid' | null;
  createdAt: string;
  dashboardUrl: string | null;
}

export interface PaymentView {
  id: number;
  documentId: string;
  kind: 'card' | 'checkout' | 'manual';
  provider: string;
  /** The provider's name for sentences ("Stripe", "Mollie"). */
  providerLabel?: string;
  method: string | null;
  status: PaymentStatus;
  amount: number;
  amountFormatted: string;
  fee: number | null;
  feeFormatted: string | null;
  currency: string;
  amountRefunded: number;
  refundable: number;
  refundableFormatted: string;
  providerPaymentId: string | null;
  checkoutSessionId: string | null;
  /** Stripe's charge (the PaymentIntent's latest_charge). */
  chargeId: string | null;
  /** Stripe's processing fee from the charge's balance transaction; null until Stripe has it. */
  providerFee: number | null;
  providerFeeFormatted: string | null;
  reference: string | null;
  paidAt: string | null;
  createdAt: string;
  voidedAt: string | null;
  voidReason: string | null;
  disputeId: string | null;
  disputeStatus: string | null;
  disputeUrl: string | null;
  dashboardUrl: string | null;
  failureMessage: string | null;
  recordedBy: string | null;
  livemode: boolean;
  refunds: RefundView[];
}

export type ActorType = 'admin' | 'client' | 'stripe' | 'system';

export interface AuditEntry {
  id: number;
  documentId: string;
  action: string;
  actorType: ActorType;
  actorId: string | null;
  actorLabel: string | null;
  invoiceDocumentId: string | null;
  invoiceNumber: string | null;
  outcome: string | null;
  details: Record<string, unknown> | null;
  createdAt: string;
}

/** GET /invoices/:id (also returned by resync, send, pay-link and refunds). */
export interface InvoiceDetailResponse {
  invoice: InvoiceDetail;
  payments: PaymentView[];
  audit: AuditEntry[];
}

export const EVENT_STATUSES = ['received', 'processing', 'processed', 'failed', 'dead_lettered', 'ignored'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

/** The payment providers by id, named as people know them (not translated: brand names). */
export const PROVIDER_LABELS: Record<string, string> = { stripe: 'Stripe', mollie: 'Mollie' };

export interface WebhookEventRow {
  documentId: string;
  providerEventId: string;
  /** Who sent it (`stripe`, `mollie`); null on rows stored before events recorded it (Stripe's). */
  provider: string | null;
  type: string;
  status: EventStatus;
  attempts: number;
  deliveries: number;
  lastError: string | null;
  ignoredReason: string | null;
  createdAt: string;
  processedAt: string | null;
  invoiceDocumentId: string | null;
  livemode: boolean;
  objectId: string | null;
}

export interface WebhookHealth {
  lastEventAt: string | null;
  lastEventType: string | null;
  failuresLast24h: number;
  deadLettered: number;
  rejectedLast24h: number;
  /** The API drift guard (server/src/services/api-versions.ts); absent from older servers. */
  apiVersions?: ApiVersionReport[];
}

/** A gateway that versions its events: the SDK's pin and the other versions recent events came in. */
export interface ApiVersionReport extends PinnedApiVersion {
  windowDays: number;
  others: Array<{ version: string; count: number; lastAt: string | null }>;
}

export interface PinnedApiVersion {
  provider: string;
  label: string;
  pinned: string;
  upgradeGuideUrl: string;
}

/** GET /dashboard (server/src/services/reports.ts): minor units, summed by the database. */
export interface DashboardCurrency {
  currency: string;
  exponent: number;
  outstanding: number;
  overdue: number;
  collectedThisMonth: number;
  refundedThisMonth: number;
  netThisMonth: number;
  outstandingCount: number;
  overdueCount: number;
}

export interface DashboardSeries {
  currency: string;
  points: Array<{ month: string; collected: number; refunded: number; net: number }>;
}

export interface DashboardData {
  today: string;
  month: string;
  timeZone: string;
  months: string[];
  currencies: DashboardCurrency[];
  series: DashboardSeries[];
}
