import type { Core } from '@strapi/strapi';
import {
  addCalendarDays,
  autopayKey,
  autopayRefusal,
  autopayRoomAction,
  autopaySchedule,
  autopaySettings,
  cardExpired,
  dueAutopayAttempt,
  feeSurcharge,
  formatMinor,
  isCollectedPaymentStatus,
  isLastAutopayAttempt,
  isStoppingAutopayStatus,
  localDate,
  minimumChargeMinor,
  reminderSettings,
  retryOffsets,
  type AutopayAttemptStatus,
  type AutopayRoomAction,
  type AutopaySettings,
  type PlannedAutopay,
} from '../domain';
import {
  ProviderRequestError,
  type OffSessionCharge,
  type PaymentProvider,
  type ProviderPayment,
} from '../providers/types';
import { UID } from '../utils/plugin-id';
import { getService } from '../utils/get-service';
import { notFound, reasonOf } from '../utils/errors';
import { isUniqueViolation } from '../utils/unique-violation';
import { translator } from '../i18n';
import { renderEmail } from '../branding/email';
import type { ClientLocale } from './pages';
import {
  greeting as greetingLine,
  oneLine,
  type AutopayNoticeKind,
  type InvoiceForMail,
  type NoticeRow,
  type SendResult,
} from './notifications';
import { effectiveDefault } from './saved-methods';
import { LIVE_STATUSES } from './attempts';
import type { Actor } from './settings';

/**
 * Autopay: on an invoice's due date (and on the retry days after a decline) the client's default
 * saved payment method is charged off-session (Settings → Reminders and autopay; the client's switch
 * in the admin). Strapi's cron calls `runDue` every minute on every instance; which attempt is due
 * is decided by domain/autopay.ts from the clock.
 *
 * Safety, in order:
 * - an attempt is claimed by inserting its row, unique per invoice, due date and attempt number:
 *   of two instances at the same minute only one charges;
 * - the charge carries an Idempotency-Key made of the same three values, so the run that picks up
 *   an attempt whose process died mid-call (its claim ran out) replays the first answer, never
 *   charges twice;
 * - the provider is called outside any database transaction; the result is booked by settlement
 *   (the same path as the webhook and the pay page's confirm);
 * - before charging, the invoice is read again (void, paid, nothing due: refused), and the method
 *   must be the client's own default, attached and not expired;
 * - the invoice's other payments are handled by the pay page's rules (attempts.makeRoom) under the
 *   invoice's attempt lease: money that arrived is booked, open or abandoned ones are ended, and a
 *   payment the client is making right now defers the attempt (the schedule goes on);
 * - every attempt, refused ones included, writes an audit entry.
 */

interface InvoiceRow {
  id: number;
  documentId: string;
  number: string;
  state: string;
  currency: string;
  balanceDue: number;
  dueDate: string | null;
  billingEmail: string | null;
  billingName: string | null;
  payToken: string | null;
  customer?: { id: number } | null;
}

export interface AutopayAttemptRow {
  id: number;
  invoiceId: number;
  invoiceDocumentId: string;
  dueDate: string;
  attemptNo: number;
  status: AutopayAttemptStatus;
  leaseUntil: string | Date | null;
  provider: string | null;
  providerPaymentId: string | null;
  paymentMethodId: string | null;
  amount: number | null;
  currency: string | null;
  code: string | null;
  message: string | null;
  plannedAt: string | Date | null;
  createdAt: string | Date;
}

const ACTIVE_STATES = ['sent', 'viewed', 'partially_paid'];
const ACTOR: Actor = { type: 'system', label: 'autopay' };

/** Why an attempt was refused before any charge, for the audit log and the admin. */
const REFUSALS: Record<string, string> = {
  void: 'The invoice is void.',
  paid: 'The invoice is paid.',
  draft: 'The invoice has not been sent.',
  no_balance: 'Nothing is due on the invoice.',
  no_due_date: 'The invoice has no due date.',
  no_client: 'The invoice is not linked to a client.',
  autopay_off: 'Autopay is off for this client.',
  unsupported: 'The payment provider cannot charge saved methods.',
  no_saved_method: 'The client has no saved payment method.',
  no_default_method: 'The client has no default payment method.',
  method_not_client: 'The default payment method does not belong to this client.',
  method_detached: 'The default payment method was removed.',
  method_expired: 'The default payment method has expired.',
  payment_in_progress: 'A payment for this invoice is already under way.',
  no_invoice: 'The invoice was deleted.',
  below_minimum: "The balance is below the payment provider's minimum charge; collect it another way.",
};

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const attempts = () => strapi.db.query(UID.autopayAttempt);
  const invoices = () => strapi.db.query(UID.invoice);
  /** The clock the cron reads: the reminders' one, so tests move both with one fake clock. */
  const clock = () => getService(strapi, 'reminders').now();

  async function loadSettings(): Promise<{
    autopay: AutopaySettings;
    timeZone: string;
    notificationEmail: string | null;
  }> {
    const s = await getService(strapi, 'settings').load();
    return {
      autopay: autopaySettings(s.autopay),
      timeZone: reminderSettings(s.reminders).timeZone,
      notificationEmail: s.notificationEmail,
    };
  }

  /** How long a claim holds before another run may retry it (same key): the provider's call budget and margin. */
  function claimMs(provider: string | null): number {
    return getService(strapi, 'providers').callBudgetMs(provider) + 30_000;
  }

  async function claim(invoice: InvoiceRow, planned: PlannedAutopay, provider: string, now: Date) {
    try {
      return (await attempts().create({
        data: {
          invoiceId: invoice.id,
          invoiceDocumentId: invoice.documentId,
          dueDate: invoice.dueDate,
          attemptNo: planned.attemptNo,
          status: 'charging',
          leaseUntil: new Date(now.getTime() + claimMs(provider)),
          provider,
          plannedAt: planned.at,
        },
      })) as AutopayAttemptRow;
    } catch (error) {
      if (isUniqueViolation(error)) return null;
      throw error;
    }
  }

  async function finish(row: AutopayAttemptRow, data: Partial<AutopayAttemptRow>): Promise<AutopayAttemptRow> {
    // Only a row still `charging` moves on: a second process holding a stale copy changes nothing.
    await attempts().updateMany({ where: { id: row.id, status: 'charging' }, data: { ...data, leaseUntil: null } });
    return (await attempts().findOne({ where: { id: row.id } })) as AutopayAttemptRow;
  }

  async function audit(invoice: InvoiceRow, outcome: string, details: Record<string, unknown>) {
    await getService(strapi, 'audit').log({
      action: 'autopay.attempt',
      actor: ACTOR,
      invoice: { documentId: invoice.documentId, number: invoice.number },
      outcome,
      details,
    });
  }

  function payLink(invoice: InvoiceRow): string | null {
    return invoice.payToken ? getService(strapi, 'notifications').payLink(invoice as unknown as InvoiceForMail) : null;
  }

  /** The client's email: confirm the payment (authentication), or autopay gave up. Null: no address. */
  /** In the client's language (`locale`: notifications mailLocale). */
  /** The client's autopay email, in their language, branded like every email (branding/email.ts). */
  async function clientMail(
    invoice: InvoiceRow,
    kind: 'authenticate' | 'stopped',
    amount: string,
    locale: ClientLocale,
  ) {
    if (!invoice.billingEmail) return null;
    const t = translator(locale.language);
    const link = payLink(invoice);
    const vars = { number: invoice.number, amount };
    const [subject, line] =
      kind === 'authenticate'
        ? [t('email.autopayAuthenticateSubject', vars), t('email.autopayAuthenticateLine', vars)]
        : [t('email.autopayStoppedSubject', vars), t('email.autopayStoppedLine', vars)];
    const email = renderEmail(
      await getService(strapi, 'branding').current(),
      {
        heading: subject,
        paragraphs: [greetingLine(t, invoice.billingName), line],
        ...(link ? { button: { label: t('email.autopayLink'), url: link } } : {}),
        language: locale.language,
      },
      t,
    );
    return { to: invoice.billingEmail, subject, text: email.text, html: email.html, attachments: email.attachments };
  }

  /** The site's own notice (English, as the other notices to the notification address). */
  async function adminMail(invoice: InvoiceRow, to: string | null, code: string | null, amount: string) {
    if (!to) return null;
    const subject = `Autopay stopped for invoice ${invoice.number}`;
    const text =
      code === 'payment_in_progress'
        ? `Autopay of invoice ${invoice.number} (${amount}) was not charged on its last scheduled attempt: a payment of the invoice was under way then (the client paying it, or a bank debit processing). No further automatic attempt will be made; if that payment does not go through, the invoice stays open for the client to pay.`
        : `Autopay of invoice ${invoice.number} (${amount}) did not go through on its last scheduled attempt (${code ?? 'declined'}). No further automatic attempt will be made; the client was told.`;
    const email = renderEmail(await getService(strapi, 'branding').current(), { heading: subject, paragraphs: [text] });
    return { to, subject, text: email.text, html: email.html, attachments: email.attachments };
  }

  /**
   * Records a charged attempt's outcome and, in the same transaction, the emails it calls for in
   * the outbox (notices): an SMTP outage delays them, never loses them. Sent right after the commit;
   * the outbox worker retries what the mail server refused. Nothing queued when another process
   * finished the row first.
   */
  async function finishWithNotices(
    row: AutopayAttemptRow,
    data: Partial<AutopayAttemptRow>,
    kinds: AutopayNoticeKind[],
  ): Promise<AutopayAttemptRow> {
    const queued: NoticeRow[] = [];
    await strapi.db.transaction(async () => {
      const { count } = await attempts().updateMany({
        where: { id: row.id, status: 'charging' },
        data: { ...data, leaseUntil: null },
      });
      if (count !== 1) return;
      for (const kind of kinds) {
        const notice = await getService(strapi, 'notifications').queueAutopayNotice(kind, row.id);
        if (notice) queued.push(notice);
      }
    });
    for (const notice of queued) await getService(strapi, 'notifications').sendQueued(notice);
    return (await attempts().findOne({ where: { id: row.id } })) as AutopayAttemptRow;
  }

  /**
   * This invoice's live shares of multi-invoice payments (the client portal's payment of several
   * invoices at once), brought up to date from their provider through settlement. makeRoom would
   * end an open share, cancelling the client's payment of every invoice it covers while they may be
   * filling in the portal's card form: autopay never does, it defers while one is live.
   * `settled`: a share's payment was booked meanwhile (read the invoice again).
   */
  async function liveShare(
    invoiceId: number,
    heldLease: string,
  ): Promise<{ live: boolean; settled: boolean; amount: number } | null> {
    const where = {
      invoice: { id: invoiceId },
      kind: { $in: ['card', 'checkout'] },
      status: { $in: [...LIVE_STATUSES] },
      providerPaymentId: { $null: true },
      sharedPaymentId: { $notNull: true },
    };
    const rows = (await strapi.db.query(UID.payment).findMany({
      where,
      select: ['id', 'provider', 'sharedPaymentId', 'amount', 'fee'],
      orderBy: { id: 'desc' },
      limit: 20,
    })) as Array<{ id: number; provider: string | null; sharedPaymentId: string; amount: number; fee: number | null }>;
    if (!rows.length) return null;
    const settlement = getService(strapi, 'settlement');
    for (const p of rows) {
      const provider = await getService(strapi, 'providers').forRow(p);
      await settlement.syncPayment(p.sharedPaymentId, { provider, actor: ACTOR, heldLease });
    }
    const still = (await strapi.db.query(UID.payment).findOne({ where, select: ['id', 'amount', 'fee'] })) as {
      amount: number;
      fee: number | null;
    } | null;
    return {
      live: Boolean(still),
      settled: !still,
      amount: still ? still.amount + (still.fee ?? 0) : 0,
    };
  }

  /**
   * Charges one claimed attempt (a new claim, or one whose claim ran out: same key). Never in a
   * transaction. `recovering`: an earlier call for this attempt may have made a payment whose answer
   * was lost (a crash, a timeout, a stored 500).
   */
  async function charge(row: AutopayAttemptRow, recovering = false): Promise<AutopayAttemptRow> {
    const invoice = (await invoices().findOne({
      where: { id: row.invoiceId },
      populate: ['customer'],
    })) as InvoiceRow | null;
    if (!invoice) return finish(row, { status: 'refused', code: 'no_invoice', message: 'The invoice was deleted.' });
    const { autopay } = await loadSettings();
    const refuse = async (code: string, extra: Record<string, unknown> = {}) => {
      const done = await finish(row, { status: 'refused', code, message: REFUSALS[code] ?? code });
      await audit(invoice, 'refused', { attemptNo: row.attemptNo, dueDate: row.dueDate, why: code, ...extra });
      return done;
    };
    // A payment by hand under way (the client is paying right now): this attempt is not made, and
    // not refused either: the schedule goes on, so the next planned day looks again. On the last
    // planned day there is none: the site is told autopay stopped (if that payment fails, nobody
    // else would notice); the client is not (they are paying, and see how that goes).
    const defer = async (blocked: { reason: string; amount: number } | null) => {
      const code = 'payment_in_progress';
      const last = isLastAutopayAttempt(row.attemptNo, autopay);
      const done = await finishWithNotices(
        row,
        // The balance autopay would have charged: the site's email names it, even when sent later.
        { status: 'deferred', code, message: REFUSALS[code], amount: invoice.balanceDue, currency: invoice.currency },
        last ? ['autopay_stopped_admin'] : [],
      );
      await audit(invoice, 'deferred', {
        attemptNo: row.attemptNo,
        dueDate: row.dueDate,
        why: code,
        ...(blocked ? { inProgress: blocked.reason, amount: blocked.amount } : {}),
        finalAttempt: last,
      });
      return done;
    };
    let provider: PaymentProvider;
    try {
      provider = row.provider
        ? await getService(strapi, 'providers').forId(row.provider)
        : await getService(strapi, 'providers').forNewPayments();
    } catch {
      return refuse('unsupported');
    }
    const key = autopayKey(invoice.documentId, row.dueDate, row.attemptNo);
    // Holding the invoice's attempt lease (services/attempts), as the pay page and a multi-invoice
    // payment do: none of them can start a payment of this invoice between the checks below and
    // the charge. Taken by someone else (a client is starting to pay right now): the claim stays and
    // a later run looks again, under the same key.
    const held = await getService(strapi, 'attempts').withLeases([invoice.documentId], 2_000, (leases) =>
      chargeHeld(leases.get(invoice.documentId)!, invoice, provider),
    );
    if (held === null) {
      await audit(invoice, 'error', {
        attemptNo: row.attemptNo,
        key,
        message: 'A payment for this invoice is being set up right now.',
        willRetry: true,
      });
      return row;
    }
    return held;

    async function chargeHeld(
      lease: string,
      invoice: InvoiceRow,
      provider: PaymentProvider,
    ): Promise<AutopayAttemptRow> {
      if (recovering) {
        // The same key replays the first answer only while the provider keeps it (Stripe prunes keys
        // after 24 h, https://docs.stripe.com/api/idempotent_requests): a retry later than that would
        // charge again. The payment made for this attempt carries its key in metadata: look first.
        let prior: ProviderPayment | null;
        try {
          const since = Math.floor(new Date(row.createdAt).getTime() / 1000) - 60;
          prior = await provider.findPaymentByAttempt(key, since);
        } catch (error) {
          const message = reasonOf(error);
          await audit(invoice, 'error', { attemptNo: row.attemptNo, key, message, willRetry: true });
          return row;
        }
        if (prior) return recordCharge(row, invoice, provider, key, chargeOf(prior), null, prior.amount, lease);
      }
      const why = autopayRefusal(invoice);
      if (why) return refuse(why);
      // The due date moved since the claim: this attempt belongs to a schedule that no longer applies.
      if (invoice.dueDate !== row.dueDate) return refuse('no_due_date');
      if (!invoice.customer?.id) return refuse('no_client');
      // Read first what autopay needs of the client: an attempt refused for them ends nothing of
      // what the client may be paying in the drawer meanwhile.
      if (!provider.savedMethods) return refuse('unsupported', { provider: provider.id });
      const account = await getService(strapi, 'saved-methods').findAccount(invoice.customer.id, provider.id);
      if (account?.autopayEnabled !== true) return refuse('autopay_off');
      if (!account.providerCustomerId) return refuse('no_saved_method');

      // Other payments of this invoice, by the pay page's rules (services/attempts makeRoom): money
      // that arrived (a drawer or Checkout payment whose event is still on the way, a tab closed
      // before the page confirmed it) is booked first and the invoice read again; open attempts and
      // abandoned 3-D Secure steps are ended, so they cannot be paid on top of this charge; a payment
      // really in progress defers this attempt (the next planned day looks again). Unreadable
      // (provider down): the outcome is unknown, the claim stays and is retried.
      const settings = await getService(strapi, 'settings').load();
      for (let round = 0; ; round++) {
        let action: AutopayRoomAction;
        let blocked: { reason: string; amount: number } | null = null;
        try {
          const share = await liveShare(invoice.id, lease);
          const room = share?.live
            ? null
            : await getService(strapi, 'attempts').makeRoom(invoice.documentId, lease, ACTOR, settings);
          if (room?.outcome === 'blocked') blocked = { reason: room.reason, amount: room.amount };
          if (share?.live) blocked = { reason: 'shared', amount: share.amount };
          // A share booked just now counts as money that arrived, whatever makeRoom found after it.
          const outcome = share?.settled ? 'settled' : (room?.outcome ?? 'clear');
          action = autopayRoomAction(outcome, Boolean(share?.live));
        } catch (error) {
          const message = reasonOf(error);
          await audit(invoice, 'error', { attemptNo: row.attemptNo, message, willRetry: true });
          return row;
        }
        if (action === 'defer') return defer(blocked);
        if (action === 'charge') break;
        const fresh = (await invoices().findOne({
          where: { id: invoice.id },
          populate: ['customer'],
        })) as InvoiceRow | null;
        if (!fresh) return refuse('no_invoice');
        Object.assign(invoice, fresh);
        const again = autopayRefusal(invoice);
        if (again) return refuse(again);
        // Money arrived but a balance is left: plan again. Each round books a payment; a handful
        // more than that is a provider answering inconsistently: look again on a later run.
        if (round >= 4) {
          await audit(invoice, 'error', {
            attemptNo: row.attemptNo,
            message: "The invoice's payments kept changing.",
            willRetry: true,
          });
          return row;
        }
      }

      let result: OffSessionCharge;
      let methodId: string | null = null;
      const fixed = invoice.currency === settings.defaultCurrency ? settings.feeFixedAmount : 0;
      const fee = feeSurcharge(invoice.balanceDue, invoice.currency, {
        percentBps: settings.feePercentBps,
        fixedMinor: fixed,
      });
      const amount = invoice.balanceDue + fee;
      // Stripe refuses a charge under the currency's minimum (amount_too_small,
      // https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts): a partial payment can
      // leave such a balance. Said why, once, instead of a failed call on every retry day.
      if (amount < minimumChargeMinor(invoice.currency)) return refuse('below_minimum', { amount });
      try {
        const listed = await provider.savedMethods.listMethods(account.providerCustomerId);
        const defaultId = effectiveDefault(listed.methods, listed.defaultId);
        if (!defaultId) return refuse('no_saved_method');
        methodId = defaultId;
        const method = await provider.savedMethods.retrieveMethod(defaultId);
        if (!method.customerId) return refuse('method_detached', { method: defaultId });
        if (method.customerId !== account.providerCustomerId) return refuse('method_not_client', { method: defaultId });
        // The real date: a card expires in the world, whatever instant the schedule is run for.
        if (cardExpired(method.expMonth, method.expYear, new Date()))
          return refuse('method_expired', { method: defaultId });
        result = await provider.savedMethods.chargeOffSession({
          customerId: account.providerCustomerId,
          methodId: defaultId,
          amount,
          currency: invoice.currency,
          metadata: {
            invoiceDocumentId: invoice.documentId,
            invoiceNumber: invoice.number,
            portion: invoice.balanceDue,
            fee,
            attemptId: key,
          },
          description: `Invoice ${invoice.number} (autopay)`,
          receiptEmail: invoice.billingEmail,
          idempotencyKey: key,
        });
      } catch (error) {
        const message = reasonOf(error);
        if (error instanceof ProviderRequestError && (error.retryable || error.outcomeUnknown)) {
          // Outcome unknown: the claim stays; when it runs out a later run repeats the call with the
          // same key, which replays what the provider did (or does it once if it did nothing).
          await audit(invoice, 'error', { attemptNo: row.attemptNo, key, message, willRetry: true });
          return row;
        }
        // Refused outright (not a decline): the schedule goes on, and on its last attempt autopay
        // stops and says so, as after a decline.
        const last = isLastAutopayAttempt(row.attemptNo, autopay);
        const done = await finishWithNotices(
          row,
          { status: 'failed', code: error instanceof ProviderRequestError ? error.code : null, message },
          last ? ['autopay_stopped', 'autopay_stopped_admin'] : [],
        );
        await audit(invoice, 'failed', { attemptNo: row.attemptNo, key, message, finalAttempt: last });
        return done;
      }

      return recordCharge(row, invoice, provider, key, result, methodId, amount, lease);
    }
  }

  /** What a payment found at the provider says about the off-session charge that made it. */
  function chargeOf(p: ProviderPayment): OffSessionCharge {
    const outcome: OffSessionCharge['outcome'] = isCollectedPaymentStatus(p.status)
      ? 'succeeded'
      : p.status === 'processing'
        ? 'processing'
        : p.status === 'requires_action'
          ? 'authentication_required'
          : 'declined';
    return {
      outcome,
      paymentId: p.id,
      code: p.failureCode ?? null,
      declineCode: null,
      message: p.failureMessage ?? null,
    };
  }

  /** Books the provider's answer for one attempt: settles its payment, finishes the row, sends its emails. */
  async function recordCharge(
    row: AutopayAttemptRow,
    invoice: InvoiceRow,
    provider: PaymentProvider,
    key: string,
    result: OffSessionCharge,
    methodId: string | null,
    amount: number,
    heldLease: string,
  ): Promise<AutopayAttemptRow> {
    const { autopay } = await loadSettings();
    // Booked like any payment: settlement reads it from the provider (the webhook may come first or later).
    if (result.paymentId) {
      try {
        await getService(strapi, 'settlement').syncPayment(result.paymentId, { provider, actor: ACTOR, heldLease });
      } catch (error) {
        strapi.log.warn(
          `[invoice-payments] autopay payment ${result.paymentId} of invoice ${invoice.number} is left to the webhook: ${reasonOf(error)}`,
        );
      }
    }
    const status: AutopayAttemptStatus =
      result.outcome === 'succeeded'
        ? 'succeeded'
        : result.outcome === 'processing'
          ? 'processing'
          : result.outcome === 'authentication_required'
            ? 'requires_action'
            : 'declined';
    const last = status === 'declined' && isLastAutopayAttempt(row.attemptNo, autopay);
    const kinds: AutopayNoticeKind[] =
      status === 'requires_action'
        ? ['autopay_authenticate']
        : last
          ? ['autopay_stopped', 'autopay_stopped_admin']
          : [];
    const done = await finishWithNotices(
      row,
      {
        status,
        providerPaymentId: result.paymentId,
        paymentMethodId: methodId,
        amount,
        currency: invoice.currency,
        code: result.declineCode ?? result.code,
        message: result.message,
      },
      kinds,
    );
    await audit(invoice, status === 'succeeded' || status === 'processing' ? 'ok' : status, {
      attemptNo: row.attemptNo,
      dueDate: row.dueDate,
      key,
      providerPaymentId: result.paymentId,
      method: methodId,
      amount,
      currency: invoice.currency,
      code: result.code,
      declineCode: result.declineCode,
      ...(status === 'declined' ? { finalAttempt: last } : {}),
    });
    return done;
  }

  /** Attempts whose claim ran out while `charging` (a process died mid-call): retried with the same key. */
  async function recover(now: Date): Promise<number> {
    const stale = (await attempts().findMany({
      where: { status: 'charging', leaseUntil: { $lt: now } },
      limit: 50,
    })) as AutopayAttemptRow[];
    let done = 0;
    for (const row of stale) {
      const { count } = await attempts().updateMany({
        where: { id: row.id, status: 'charging', leaseUntil: { $lt: now } },
        data: { leaseUntil: new Date(now.getTime() + claimMs(row.provider)) },
      });
      if (count !== 1) continue;
      await charge(row, true);
      done += 1;
    }
    return done;
  }

  return {
    /**
     * One autopay outbox email (services/notifications calls it for the autopay_* kinds), written
     * from the attempt as recorded: sent, or skipped when there is no one to send it to.
     */
    async sendNotice(kind: AutopayNoticeKind, attemptId: number, messageId: string): Promise<SendResult> {
      const row = (await attempts().findOne({ where: { id: attemptId } })) as AutopayAttemptRow | null;
      if (!row) return { outcome: 'skipped' };
      const invoice = (await invoices().findOne({ where: { id: row.invoiceId } })) as InvoiceRow | null;
      if (!invoice) return { outcome: 'skipped' };
      const words = formatMinor(row.amount ?? invoice.balanceDue, row.currency ?? invoice.currency);
      let mail;
      if (kind === 'autopay_stopped_admin') {
        mail = await adminMail(invoice, (await loadSettings()).notificationEmail, row.code, words);
      } else {
        const locale = await getService(strapi, 'notifications').mailLocale(invoice as { language?: string | null });
        const amount = formatMinor(row.amount ?? invoice.balanceDue, row.currency ?? invoice.currency, locale.intl);
        mail = await clientMail(invoice, kind === 'autopay_authenticate' ? 'authenticate' : 'stopped', amount, locale);
      }
      if (!mail) return { outcome: 'skipped' };
      await strapi
        .plugin('email')
        .service('email')
        .send({ ...mail, subject: oneLine(mail.subject), headers: { 'Message-ID': messageId } });
      return {
        outcome: 'sent',
        invoice: invoice as unknown as InvoiceForMail,
        audit: { action: `email.${kind}`, details: { autopayAttemptId: attemptId, attemptNo: row.attemptNo } },
      };
    },

    /**
     * The cron's part: every attempt due at `now`, claimed and charged. Returns how many this run
     * claimed (retries of stale claims included).
     */
    async runDue(now: Date = clock(), batchSize = 200): Promise<number> {
      const { autopay, timeZone } = await loadSettings();
      if (!autopay.enabled) return 0;
      let claimed = await recover(now);
      let provider: PaymentProvider;
      try {
        provider = await getService(strapi, 'providers').forNewPayments();
      } catch {
        return claimed;
      }
      const clients = (await strapi.db.query(UID.clientAccount).findMany({
        where: { autopayEnabled: true, provider: provider.id },
        select: ['userId'],
      })) as Array<{ userId: number }>;
      if (!clients.length) return claimed;
      const today = localDate(now, timeZone);
      const from = addCalendarDays(today, -Math.max(0, ...retryOffsets(autopay)) - 1);
      const to = addCalendarDays(today, 1);
      for (let after = 0; ;) {
        const candidates = (await invoices().findMany({
          where: {
            id: { $gt: after },
            state: { $in: ACTIVE_STATES },
            balanceDue: { $gt: 0 },
            dueDate: { $gte: from, $lte: to },
            customer: { id: { $in: clients.map((c) => c.userId) } },
          },
          orderBy: { id: 'asc' },
          limit: batchSize,
        })) as InvoiceRow[];
        if (!candidates.length) return claimed;
        after = candidates[candidates.length - 1]!.id;
        const made = (await attempts().findMany({
          where: { invoiceId: { $in: candidates.map((i) => i.id) } },
          select: ['invoiceId', 'dueDate', 'attemptNo', 'status'],
        })) as Array<Pick<AutopayAttemptRow, 'invoiceId' | 'dueDate' | 'attemptNo' | 'status'>>;
        for (const invoice of candidates) {
          const mine = made.filter((a) => a.invoiceId === invoice.id && a.dueDate === invoice.dueDate);
          const planned = dueAutopayAttempt(invoice, autopay, timeZone, mine, now);
          if (!planned) continue;
          try {
            const row = await claim(invoice, planned, provider.id, now);
            if (!row) continue;
            claimed += 1;
            await charge(row);
          } catch (error) {
            strapi.log.warn(
              `[invoice-payments] autopay attempt ${planned.attemptNo} of invoice ${invoice.number} failed: ${reasonOf(error)}`,
            );
          }
        }
        if (candidates.length < batchSize) return claimed;
      }
    },

    /** The admin's panel on an invoice: the client's switch, attempts made and the next one. */
    async forInvoice(documentId: string) {
      const invoice = (await invoices().findOne({
        where: { documentId },
        populate: ['customer'],
      })) as InvoiceRow | null;
      if (!invoice) throw notFound('No invoice with this id.');
      const { autopay, timeZone } = await loadSettings();
      const rows = (await attempts().findMany({
        where: { invoiceId: invoice.id },
        orderBy: { id: 'asc' },
      })) as AutopayAttemptRow[];
      const clientId = invoice.customer?.id ?? null;
      const client = clientId ? await getService(strapi, 'saved-methods').forAdmin(clientId) : null;
      const current = rows.filter((r) => r.dueDate === invoice.dueDate);
      const lastNo = Math.max(-1, ...current.map((r) => r.attemptNo));
      // What the cron will do next, if anything: the first attempt after the last one made, unless
      // the schedule stopped (succeeded, waiting on the client, refused) or the invoice needs none.
      // After a deferral (the client was paying by hand) the next planned day looks again.
      const stopped = current.some((r) => isStoppingAutopayStatus(r.status));
      const planned =
        invoice.dueDate && client?.autopayEnabled && autopay.enabled && !stopped && !autopayRefusal(invoice)
          ? (autopaySchedule(invoice.dueDate, autopay, timeZone).find((p) => p.attemptNo > lastNo) ?? null)
          : null;
      return {
        settingsEnabled: autopay.enabled,
        client,
        next: planned ? { attemptNo: planned.attemptNo, at: planned.at.toISOString() } : null,
        attempts: rows.map((r) => ({
          attemptNo: r.attemptNo,
          dueDate: r.dueDate,
          status: r.status,
          code: r.code,
          message: r.message,
          providerPaymentId: r.providerPaymentId,
          amount: r.amount,
          currency: r.currency,
          at: r.createdAt,
        })),
      };
    },
  };
};
