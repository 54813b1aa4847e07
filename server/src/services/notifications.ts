import type { Core } from '@strapi/strapi';
import { formatMinor } from '../domain';
import { insertRow, insertRows } from '../utils/insert-row';
import { UID, PLUGIN_ID } from '../utils/plugin-id';
import { getService } from '../utils/get-service';
import { publicBaseUrl } from './settings';
import { refundFailureText } from './refunds';
import type { PluginConfig } from '../config';
import { renderEmail, type EmailAttachment, type EmailContent } from '../branding/email';
import type { ClientInvoiceRow, ClientLocale } from './pages';
import { translator, type Translate } from '../i18n';
import type { AuditInput } from './audit';
import { reasonOf } from '../utils/errors';

/**
 * Emails through Strapi's email plugin (any provider). Settlement decides *whether* to send under
 * the invoice lock (a marker on the ledger entry) and writes the email to the outbox (a `notice`
 * row) in the same transaction; it then sends it itself, and the worker sends what a crash or an
 * SMTP failure left behind. One decision per outcome; delivery at least once.
 */
export type AutopayNoticeKind = 'autopay_authenticate' | 'autopay_stopped' | 'autopay_stopped_admin';
export type NoticeKind =
  'confirmation' | 'failure' | 'failure_client' | 'dispute' | 'refund_failed' | 'reminder' | AutopayNoticeKind;
const AUTOPAY_KINDS: readonly NoticeKind[] = ['autopay_authenticate', 'autopay_stopped', 'autopay_stopped_admin'];
type Outcome = 'sent' | 'skipped' | 'error';
export interface NoticeRow {
  id: number;
  /** Null for a reminder, which names its row in `reminderId` instead. */
  paymentId: number;
  reminderId?: number | null;
  /** An autopay email's attempt (services/autopay), for the autopay_* kinds. */
  autopayAttemptId?: number | null;
  kind: NoticeKind;
  status: 'due' | 'sent' | 'skipped' | 'failed';
  attempts: number;
  /**
   * The payment and invoice as the transaction that queued this email committed them (set by
   * settlement, sent right after the commit): the email is written without reading them again.
   */
  mail?: { payment: MailPayment; invoice: InvoiceForMail };
}

type MailPayment = {
  amount: number;
  fee?: number | null;
  currency: string;
  failureMessage?: string | null;
  failureCode?: string | null;
  disputeId?: string | null;
  /** The gateway holding it (its name goes in the dispute and refund-failure emails). */
  provider?: string | null;
};

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** What one email's hand-off came to, and what the audit log records for it. */
export interface SendResult {
  outcome: 'sent' | 'skipped';
  invoice?: InvoiceForMail;
  audit?: { action: string; details: Record<string, unknown> };
}

/**
 * A subject on one line: an invoice number or client name with a line break must never add a
 * header (SMTP transports differ in what they do with one).
 */
export function oneLine(subject: string): string {
  return subject.replace(/[\r\n\u2028\u2029]+/g, ' ').trim();
}

export const escapeHtml = esc;

/** A due date (YYYY-MM-DD) as words in the client's locale: 14 March 2026, 14. März 2026. */
export function mailDate(date: string, locale: string): string {
  const d = new Date(`${String(date).slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return String(date);
  return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(d);
}

export interface InvoiceForMail {
  documentId: string;
  number: string;
  currency: string;
  total: number;
  balanceDue: number;
  dueDate: string | null;
  billingName: string | null;
  billingEmail: string | null;
  payToken: string | null;
  /** The client's language; null: the site's default client language. */
  language?: string | null;
}

/** A greeting line in the client's language. */
export function greeting(t: Translate, name: string | null | undefined): string {
  return name ? t('email.helloName', { name }) : t('email.hello');
}

/**
 * The client's email when a bank debit fails after it was processing (SEPA Direct Debit can be
 * refused days later: https://docs.stripe.com/payments/sepa-debit). The balance is open again, so
 * the email carries the pay link. Null when the invoice has no billing email.
 */
export function clientFailureMail(
  payment: MailPayment,
  invoice: InvoiceForMail,
  link: string,
  locale: ClientLocale = { language: 'en', intl: 'en-US' },
): { to: string; subject: string; text: string } | null {
  if (!invoice.billingEmail) return null;
  const t = translator(locale.language);
  const amount = formatMinor(payment.amount + (payment.fee ?? 0), payment.currency, locale.intl);
  const balance = formatMinor(Math.max(0, invoice.balanceDue), invoice.currency, locale.intl);
  const why = payment.failureMessage ? t('email.failureWhy', { reason: payment.failureMessage }) : '';
  const name = invoice.billingName;
  return {
    to: invoice.billingEmail,
    subject: t('email.failureSubject', { number: invoice.number }),
    text: t('email.failureText', {
      greeting: name ? t('email.failureGreetingName', { name }) : t('email.failureGreeting'),
      amount,
      number: invoice.number,
      why,
      balance,
      link,
    }),
  };
}

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const errorText = (error: unknown) => reasonOf(error).slice(0, 500);
  async function send(
    to: string,
    subject: string,
    text: string,
    html: string,
    attachments: EmailAttachment[] = [],
  ): Promise<boolean> {
    try {
      await strapi
        .plugin('email')
        .service('email')
        .send({ to, subject: oneLine(subject), text, html, attachments });
      return true;
    } catch (error) {
      strapi.log.warn(`[invoice-payments] email "${subject}" could not be sent: ${errorText(error)}`);
      return false;
    }
  }

  const notices = () => strapi.db.query(UID.notice);
  const outbox = () => {
    const c = strapi.config.get<PluginConfig>(`plugin::${PLUGIN_ID}`).notifications;
    return { retryAfterMs: c?.retryAfterMs ?? 300_000, maxAttempts: c?.maxAttempts ?? 10 };
  };

  /** A Message-ID for one outbox row, the same on every retry of it. */
  function messageId(kind: NoticeKind, subjectId: number, noticeId: number): string {
    let host = 'localhost';
    try {
      host = new URL(publicBaseUrl(strapi)).hostname || host;
    } catch {
      // a malformed publicUrl: the id stays unique, with a generic host
    }
    return `<invoice-payments.${kind}.${subjectId}.${noticeId}@${host}>`;
  }

  /** One outbox row's email: a payment email, or a payment reminder (services/reminders). */
  async function sendNotice(row: NoticeRow): Promise<SendResult> {
    if (row.kind === 'reminder') {
      if (!row.reminderId) return { outcome: 'skipped' };
      return getService(strapi, 'reminders').sendReminder(
        row.reminderId,
        messageId('reminder', row.reminderId, row.id),
      );
    }
    if (AUTOPAY_KINDS.includes(row.kind)) {
      if (!row.autopayAttemptId) return { outcome: 'skipped' };
      return getService(strapi, 'autopay').sendNotice(
        row.kind as AutopayNoticeKind,
        row.autopayAttemptId,
        messageId(row.kind, row.autopayAttemptId, row.id),
      );
    }
    return sendPaymentNotice(row.kind, row.paymentId, row.id, row.mail);
  }

  /**
   * Sends one payment email now: sent, or skipped (nothing to send: no address, turned off). Throws when the
   * provider fails.
   */
  async function sendPaymentNotice(
    kind: NoticeKind,
    paymentId: number,
    noticeId: number,
    preloaded?: NoticeRow['mail'],
  ): Promise<{ outcome: 'sent' | 'skipped'; invoice?: InvoiceForMail }> {
    // A retry after a crash between SMTP hand-off and bookkeeping repeats the Message-ID, so
    // mailboxes that drop duplicates by Message-ID (Gmail, for one) show the email once.
    const headers = { 'Message-ID': messageId(kind, paymentId, noticeId) };
    const mail = async (
      to: string,
      subject: string,
      text: string,
      extra: Partial<EmailContent> = {},
      t: Translate = translator('en'),
    ) => {
      // Read only when an email goes out (most notices are skipped): branded like every email.
      const brand = await getService(strapi, 'branding').current();
      const email = renderEmail(brand, { heading: subject, paragraphs: [text], ...extra }, t);
      return strapi
        .plugin('email')
        .service('email')
        .send({
          to,
          subject: oneLine(subject),
          text: email.text,
          html: email.html,
          attachments: email.attachments,
          headers,
        });
    };
    const found = preloaded
      ? null
      : ((await strapi.db.query(UID.payment).findOne({ where: { id: paymentId }, populate: ['invoice'] })) as
          (MailPayment & { invoice?: InvoiceForMail | null }) | null);
    const payment: MailPayment | null = preloaded?.payment ?? found;
    const invoice = preloaded?.invoice ?? found?.invoice ?? undefined;
    if (!payment || !invoice) return { outcome: 'skipped' };
    // The client's confirmation needs no settings; the other notices go to the notification address.
    const settings = kind === 'confirmation' ? null : await getService(strapi, 'settings').stored();
    const amount = formatMinor(payment.amount + (payment.fee ?? 0), payment.currency);
    const gateway = getService(strapi, 'providers').label(payment.provider);
    if (kind === 'failure_client') {
      const locale = await mailLocale(invoice);
      const client = clientFailureMail(payment, invoice, payLink(invoice), locale);
      if (!client) return { outcome: 'skipped' };
      await mail(client.to, client.subject, client.text, { language: locale.language }, translator(locale.language));
    } else if (kind === 'confirmation' && invoice.billingEmail) {
      // The client's email, in the client's language; the site's own notices below stay English.
      const locale = await mailLocale(invoice);
      const t = translator(locale.language);
      const paid = formatMinor(payment.amount + (payment.fee ?? 0), payment.currency, locale.intl);
      const balance = formatMinor(Math.max(0, invoice.balanceDue), invoice.currency, locale.intl);
      const vars = { name: invoice.billingName ?? '', amount: paid, number: invoice.number, balance };
      const text = t(invoice.billingName ? 'email.confirmationTextName' : 'email.confirmationText', vars);
      // The receipt, under the invoice's pay link (its token is the key, as for the pay page).
      const receiptOf = (payment as { documentId?: string | null }).documentId ?? (await paymentDocumentId(paymentId));
      const receipt =
        invoice.payToken && receiptOf
          ? getService(strapi, 'documents').receiptUrl(invoice.payToken, receiptOf, true)
          : null;
      await mail(
        invoice.billingEmail,
        t('email.confirmationSubject', { number: invoice.number }),
        text,
        {
          rows: [
            [t('email.amountPaid'), paid],
            [t('email.balanceDue'), balance],
          ],
          links: receipt ? [{ label: t('email.downloadReceipt'), url: receipt }] : [],
          language: locale.language,
        },
        t,
      );
    } else if (kind === 'failure' && settings?.sendFailureNotices && settings.notificationEmail) {
      const text = `A payment of ${amount} on invoice ${invoice.number} failed: ${payment.failureMessage ?? payment.failureCode ?? 'unknown reason'}.`;
      await mail(settings.notificationEmail, `Payment failed on invoice ${invoice.number}`, text);
    } else if (kind === 'dispute' && settings?.sendDisputeAlerts && settings.notificationEmail) {
      const text = `The client disputed the payment of ${amount} on invoice ${invoice.number} (dispute ${payment.disputeId}). Respond in the ${gateway} Dashboard before the deadline.`;
      await mail(settings.notificationEmail, `Dispute opened on invoice ${invoice.number}`, text);
    } else if (kind === 'refund_failed' && settings?.sendFailureNotices && settings.notificationEmail) {
      const [refund] = await strapi.db
        .query(UID.refund)
        .findMany({ where: { payment: { id: paymentId }, status: 'failed' }, orderBy: { id: 'desc' }, limit: 1 });
      if (!refund) return { outcome: 'skipped' };
      const why = refundFailureText(refund.failureReason ?? 'unknown', payment.provider);
      const text = `A refund of ${formatMinor(refund.amount, refund.currency)} on invoice ${invoice.number} failed (${why}). The money is back in your ${gateway} balance and the invoice shows it as paid again: issue the refund again from the invoice page, or return the money another way.`;
      await mail(settings.notificationEmail, `Refund failed on invoice ${invoice.number}`, text);
    } else {
      return { outcome: 'skipped' };
    }
    return { outcome: 'sent', invoice };
  }

  async function paymentDocumentId(paymentId: number): Promise<string | null> {
    const row = (await strapi.db.query(UID.payment).findOne({ where: { id: paymentId }, select: ['documentId'] })) as {
      documentId?: string;
    } | null;
    return row?.documentId ?? null;
  }

  /**
   * The invoice email: branded HTML and text with the "Pay online" button, and the invoice PDF
   * attached. A PDF that cannot be made (logged) does not hold the email back: the link still pays.
   */
  async function invoiceEmail(invoice: InvoiceForMail) {
    const locale = await mailLocale(invoice);
    const t = translator(locale.language);
    const amount = formatMinor(invoice.balanceDue, invoice.currency, locale.intl);
    const link = payLink(invoice);
    const brand = await getService(strapi, 'branding').current();
    const subject = t('email.invoiceSubject', { number: invoice.number, amount });
    const rows: Array<[string, string]> = [[t('email.amountDue'), amount]];
    if (invoice.dueDate) rows.push([t('email.dueDate'), mailDate(invoice.dueDate, locale.intl)]);
    const vars = { name: invoice.billingName ?? '', number: invoice.number, seller: brand.name ?? '' };
    const intro = invoice.billingName
      ? brand.name
        ? t('email.invoiceTextNameSeller', vars)
        : t('email.invoiceTextName', vars)
      : brand.name
        ? t('email.invoiceTextSeller', vars)
        : t('email.invoiceText', vars);
    const email = renderEmail(
      brand,
      {
        heading: t('email.invoiceHeading', { number: invoice.number }),
        paragraphs: [intro],
        rows,
        button: { label: t('email.payOnline', { amount }), url: link },
        language: locale.language,
      },
      t,
    );
    const attachments: EmailAttachment[] = [...email.attachments];
    try {
      const row = (await strapi.db
        .query(UID.invoice)
        .findOne({ where: { documentId: invoice.documentId } })) as ClientInvoiceRow | null;
      if (row) {
        const file = await getService(strapi, 'documents').invoicePdf(row, locale);
        attachments.push({ filename: file.fileName, content: file.pdf, contentType: 'application/pdf' });
      }
    } catch (error) {
      strapi.log.warn(`[invoice-payments] the PDF of invoice ${invoice.number} could not be made: ${errorText(error)}`);
    }
    return { to: invoice.billingEmail!, subject, text: email.text, html: email.html, attachments };
  }

  type Sent = { result: SendResult } | { error: string };

  /**
   * Outbox rows this process is handing to the email provider right now. The worker of this process
   * never takes one of them, however long the provider takes: the row's `dueAt` (its sender's
   * lease) can pass during a slow hand-off, and the worker would send the email a second time. A
   * row is sent by whoever claimed it in the database (`claimRow`); another process takes it over
   * only once the lease has passed, which for it means its sender crashed.
   */
  const inFlight = new Set<number>();

  /**
   * Claims an outbox row for one hand-off: one conditional UPDATE (still due, attempts unchanged),
   * so of the process that queued it and the workers of every instance exactly one sends it. The
   * new `dueAt` is the claimer's lease, after which a worker may retry it (a crash mid-send).
   */
  async function claimRow(row: NoticeRow): Promise<boolean> {
    const { count } = await notices().updateMany({
      where: { id: row.id, status: 'due', attempts: row.attempts },
      data: { attempts: row.attempts + 1, dueAt: new Date(Date.now() + outbox().retryAfterMs) },
    });
    return count === 1;
  }

  /**
   * Keeps a row's lease while its email is being handed off and recorded: a mail server can take
   * longer than the lease (nodemailer waits up to 10 minutes on a stalled socket), and once the
   * lease has passed another instance's worker would claim the row and send the email again.
   * Renewed every third of the lease, only while the row is still due at the attempt count this
   * sender holds (`attempts`); the returned function stops it.
   */
  function keepLease(row: NoticeRow, attempts: number): () => void {
    const { retryAfterMs } = outbox();
    const timer = setInterval(
      () => {
        void notices()
          .updateMany({
            where: { id: row.id, status: 'due', attempts },
            data: { dueAt: new Date(Date.now() + retryAfterMs) },
          })
          .catch(() => undefined);
      },
      Math.max(50, Math.floor(retryAfterMs / 3)),
    );
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Claims the row and sends it; false when another sender had it (or it is no longer due). */
  async function claimAndDeliver(row: NoticeRow): Promise<Outcome | null> {
    if (inFlight.has(row.id) || !(await claimRow(row))) return null;
    inFlight.add(row.id);
    const stopLease = keepLease(row, row.attempts + 1);
    try {
      return await deliver(row, row.attempts + 1);
    } finally {
      stopLease();
      inFlight.delete(row.id);
    }
  }

  // The email pipeline behind sendQueuedMany (see there): at most MAIL_IN_FLIGHT hand-offs at a
  // time, and no new hand-off while MAIL_UNRECORDED outcomes wait for their commit, so at most
  // MAIL_IN_FLIGHT + MAIL_UNRECORDED emails can go out twice after a crash.
  const MAIL_IN_FLIGHT = 8;
  const MAIL_UNRECORDED = 8;
  /**
   * `until`: past it the row's lease (its dueAt, set when it was queued) may run out and a worker
   * take it, so the pipeline claims the row (claimRow, a new lease) before handing it off; 0 for
   * the worker's rows, whose lease has run out already. A row another sender claimed first is
   * left to it.
   */
  type Queued = {
    row: NoticeRow;
    done: (outcome: Outcome | null) => void;
    until: number;
    /** Runs the hand-off with the settings its batch read (settings.snapshotRunner). */
    inSnapshot: <T>(work: () => Promise<T>) => Promise<T>;
    /** Stops renewing the row's lease (keepLease), once its outcome is recorded. */
    stopLease?: () => void;
  };
  const mailQueue: Queued[] = [];
  /** The rows in mailQueue, so that the worker does not queue a row twice. */
  const mailQueued = new Set<number>();
  const unrecorded: Array<Queued & { sent: Sent }> = [];
  let handingOff = 0;
  let recording = 0;

  function pumpMail(): void {
    while (
      handingOff < MAIL_IN_FLIGHT &&
      unrecorded.length + recording + handingOff < MAIL_IN_FLIGHT + MAIL_UNRECORDED
    ) {
      const next = mailQueue.shift();
      if (!next) break;
      mailQueued.delete(next.row.id);
      if (inFlight.has(next.row.id)) {
        next.done(null);
        continue;
      }
      handingOff += 1;
      inFlight.add(next.row.id);
      // Behind a burst of emails (settlement faster than the email provider) a row can wait past
      // half its lease: claimed now, it is sent here, not left to the worker's slower ticks.
      const claimFirst = Date.now() >= next.until;
      // A claim that failed (taken by another sender, or a database error) sends nothing and
      // records nothing: the row stays with whoever holds it, or with the worker once it is due.
      void next
        .inSnapshot(async (): Promise<Sent | null> => {
          if (claimFirst && !(await claimRow(next.row).catch(() => false))) return null;
          next.stopLease = keepLease(next.row, next.row.attempts + (claimFirst ? 1 : 0));
          return handOff(next.row);
        })
        .catch((): null => null)
        .then((sent) => {
          handingOff -= 1;
          if (sent) unrecorded.push({ ...next, sent });
          else {
            next.stopLease?.();
            inFlight.delete(next.row.id);
            next.done(null);
            pumpMail();
          }
          void flushMail();
        });
    }
  }

  /** Puts rows in the pipeline; resolves once each is handed off and recorded (or left to another sender). */
  function queueMail(
    rows: readonly NoticeRow[],
    until: number,
    inSnapshot: Queued['inSnapshot'],
  ): Promise<Array<Outcome | null>> {
    if (rows.length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      const outcomes: Array<Outcome | null> = [];
      for (const row of rows) {
        mailQueued.add(row.id);
        mailQueue.push({
          row,
          until,
          inSnapshot,
          done: (outcome) => {
            outcomes.push(outcome);
            if (outcomes.length === rows.length) resolve(outcomes);
          },
        });
      }
      pumpMail();
    });
  }

  /**
   * Writes the outcomes waiting, one transaction at a time (the next group forms meanwhile). A
   * group is written once MAIL_IN_FLIGHT outcomes wait or nothing else is being handed off, so a
   * burst costs one commit per 8 emails, not one each.
   */
  async function flushMail(): Promise<void> {
    if (recording > 0 || unrecorded.length === 0) return;
    if (handingOff > 0 && unrecorded.length < MAIL_IN_FLIGHT) return;
    const group = unrecorded.splice(0, unrecorded.length);
    recording = group.length;
    let recorded = false;
    try {
      await strapi.db.transaction(() => recordMany(group.map(({ row, sent }) => ({ row, sent }))));
      recorded = true;
    } catch (error) {
      strapi.log.warn(
        `[invoice-payments] ${group.length} emails sent but not yet recorded, left to the worker: ${errorText(error)}`,
      );
    } finally {
      recording = 0;
      for (const { row, done, sent, stopLease } of group) {
        stopLease?.();
        inFlight.delete(row.id);
        // Not recorded: still due, sent again by the worker (the caller's count leaves it out).
        done(recorded ? ('result' in sent ? sent.result.outcome : 'error') : null);
      }
      pumpMail();
      void flushMail();
    }
  }

  /** Hands one outbox row's email to the email provider; the outcome is recorded by `record`. */
  async function handOff(row: NoticeRow): Promise<Sent> {
    try {
      return { result: await sendNotice(row) };
    } catch (error) {
      return { error: errorText(error) };
    }
  }

  /** Sends a claimed outbox row and records the outcome (a failure is retried later, with backoff). */
  async function deliver(row: NoticeRow, attempts: number): Promise<Outcome> {
    return record(row, attempts, await handOff(row));
  }

  /** The audit entry of an email handed off (sent or skipped): only when it was about an invoice. */
  function auditOf(row: NoticeRow, result: SendResult): AuditInput[] {
    const { invoice } = result;
    if (!invoice) return [];
    return [
      {
        action: result.audit?.action ?? `email.${row.kind}`,
        actor: { type: 'system' },
        invoice: { documentId: invoice.documentId, number: invoice.number },
        details: result.audit?.details ?? { paymentId: row.paymentId },
      },
    ];
  }

  /**
   * `record` for a group of hand-offs, inside the caller's transaction: the rows that ended alike
   * (same outcome and attempt count) in one UPDATE, their audit entries in one INSERT; the
   * failures one by one, as `record` does. A failed write throws: the whole group stays due and
   * the worker sends it again, under the same Message-ID.
   */
  async function recordMany(group: Array<{ row: NoticeRow; sent: Sent }>): Promise<void> {
    const alike = new Map<string, { outcome: SendResult['outcome']; attempts: number; ids: number[] }>();
    const audits: AuditInput[] = [];
    for (const { row, sent } of group) {
      if (!('result' in sent)) continue;
      const attempts = row.attempts + 1;
      const key = `${sent.result.outcome}:${attempts}`;
      const same = alike.get(key) ?? { outcome: sent.result.outcome, attempts, ids: [] };
      same.ids.push(row.id);
      alike.set(key, same);
      audits.push(...auditOf(row, sent.result));
    }
    const sentAt = new Date();
    for (const { outcome, attempts, ids } of alike.values())
      await notices().updateMany({
        where: { id: { $in: ids } },
        data: { status: outcome, sentAt, dueAt: null, attempts, lastError: null },
      });
    await getService(strapi, 'audit')
      .logMany(audits)
      .catch(() => undefined);
    for (const { row, sent } of group) if ('error' in sent) await record(row, row.attempts + 1, sent);
  }

  async function record(row: NoticeRow, attempts: number, sent: Sent): Promise<Outcome> {
    let lastError = 'error' in sent ? sent.error : '';
    let result = 'result' in sent ? sent.result : null;
    if (result) {
      try {
        // Marked right after the hand-off: the window in which a crash resends is as short as it gets.
        // updateMany: one statement, without update()'s read before and after the write.
        await notices().updateMany({
          where: { id: row.id },
          data: { status: result.outcome, sentAt: new Date(), dueAt: null, attempts, lastError: null },
        });
      } catch (error) {
        lastError = errorText(error);
        result = null;
      }
    }
    if (result) {
      for (const entry of auditOf(row, result))
        await getService(strapi, 'audit')
          .log(entry)
          .catch(() => undefined);
      return result.outcome;
    }
    const { retryAfterMs, maxAttempts } = outbox();
    const gaveUp = attempts >= maxAttempts;
    await notices().update({
      where: { id: row.id },
      data: {
        status: gaveUp ? 'failed' : 'due',
        attempts,
        lastError,
        dueAt: gaveUp ? null : new Date(Date.now() + retryAfterMs * 2 ** Math.min(attempts - 1, 10)),
      },
    });
    if (gaveUp) {
      await getService(strapi, 'audit').log({
        action: 'email.failed',
        actor: { type: 'system' },
        outcome: 'failed',
        details: {
          paymentId: row.paymentId,
          ...(row.reminderId ? { reminderId: row.reminderId } : {}),
          ...(row.autopayAttemptId ? { autopayAttemptId: row.autopayAttemptId } : {}),
          kind: row.kind,
          attempts,
          lastError,
        },
      });
    }
    strapi.log.warn(
      `[invoice-payments] ${row.kind} email for ${row.reminderId ? `reminder ${row.reminderId}` : row.autopayAttemptId ? `autopay attempt ${row.autopayAttemptId}` : `payment ${row.paymentId}`} could not be sent (attempt ${attempts}${gaveUp ? ', given up' : ', will retry'}): ${lastError}`,
    );
    return 'error';
  }

  function payLink(invoice: InvoiceForMail): string {
    return `${publicBaseUrl(strapi)}/${PLUGIN_ID}/pay/${invoice.payToken}`;
  }

  /** An email's language: the invoice's, else Settings' default client language (no browser to ask). */
  function mailLocale(invoice: { language?: string | null }): Promise<ClientLocale> {
    return getService(strapi, 'pages').clientLocale(invoice, {});
  }

  return {
    payLink,
    mailLocale,

    /**
     * Writes a payment email to the outbox. Call it inside the settlement's transaction, together
     * with the marker that decided it; send it with `sendQueued` after the commit.
     */
    async queuePaymentNotice(kind: NoticeKind, paymentId: number): Promise<NoticeRow> {
      // The row is what was just written: no need to read it back.
      const id = await insertRow(strapi, UID.notice, {
        paymentId,
        kind,
        occurrence: '',
        status: 'due',
        attempts: 0,
        dueAt: new Date(Date.now() + outbox().retryAfterMs),
      });
      return { id, paymentId, kind, status: 'due', attempts: 0 };
    },

    /**
     * queuePaymentNotice for a settled batch's emails at once, inside its transaction: one INSERT,
     * then one read of their ids (by payment, kind and occurrence, unique in the outbox: a
     * multi-row INSERT's ids come back in no guaranteed order on SQLite, and not at all on MySQL).
     * `rows` are the NoticeRows settlement handed out with no id yet; each gets its id here.
     */
    async queuePaymentNotices(rows: NoticeRow[]): Promise<void> {
      if (rows.length === 0) return;
      const dueAt = new Date(Date.now() + outbox().retryAfterMs);
      await insertRows(
        strapi,
        UID.notice,
        rows.map((r) => ({ paymentId: r.paymentId, kind: r.kind, occurrence: '', status: 'due', attempts: 0, dueAt })),
      );
      const written = (await notices().findMany({
        where: { paymentId: { $in: [...new Set(rows.map((r) => r.paymentId))] }, occurrence: '' },
        select: ['id', 'paymentId', 'kind'],
      })) as Array<{ id: number; paymentId: number; kind: string }>;
      const idOf = new Map(written.map((w) => [`${w.paymentId}:${w.kind}`, w.id]));
      for (const row of rows) {
        const id = idOf.get(`${row.paymentId}:${row.kind}`);
        // Cannot happen inside the transaction that inserted it; if it did, the batch rolls back.
        if (id === undefined) throw new Error(`the ${row.kind} email of payment #${row.paymentId} was not written`);
        row.id = id;
      }
    },

    /**
     * A "payment failed" email (to the notification address, or the client's "did not go through")
     * for one failure of a payment: `occurrence` names it (domain failureOccurrence), so a bank debit
     * retried on the same payment and refused again is told again, and the same failure delivered
     * twice is not (the outbox is unique per payment, kind and occurrence). Null when this failure's
     * email was queued already. Call it inside the settlement's transaction, like queuePaymentNotice.
     */
    async queueFailureNotice(
      kind: 'failure' | 'failure_client',
      paymentId: number,
      occurrence: string,
    ): Promise<NoticeRow | null> {
      if (await notices().findOne({ where: { paymentId, kind, occurrence }, select: ['id'] })) return null;
      const id = await insertRow(strapi, UID.notice, {
        paymentId,
        kind,
        occurrence,
        status: 'due',
        attempts: 0,
        dueAt: new Date(Date.now() + outbox().retryAfterMs),
      });
      return { id, paymentId, kind, status: 'due', attempts: 0 };
    },

    /**
     * Writes a payment reminder's email to the outbox. Call it in the transaction that claimed the
     * reminder (services/reminders), then `sendQueued` after the commit; the worker retries it.
     */
    async queueReminderNotice(reminderId: number): Promise<NoticeRow> {
      return (await notices().create({
        data: {
          reminderId,
          kind: 'reminder',
          status: 'due',
          attempts: 0,
          dueAt: new Date(Date.now() + outbox().retryAfterMs),
        },
      })) as NoticeRow;
    },

    /**
     * Writes an autopay email (authentication needed; schedule stopped, to the client or the admin)
     * to the outbox. Call it in the transaction that records the attempt's outcome, then
     * `sendQueued` after the commit; the worker sends what SMTP refused. One per attempt and kind.
     */
    async queueAutopayNotice(kind: AutopayNoticeKind, autopayAttemptId: number): Promise<NoticeRow | null> {
      if (await notices().findOne({ where: { autopayAttemptId, kind }, select: ['id'] })) return null;
      return (await notices().create({
        data: {
          autopayAttemptId,
          kind,
          status: 'due',
          attempts: 0,
          dueAt: new Date(Date.now() + outbox().retryAfterMs),
        },
      })) as NoticeRow;
    },

    /**
     * The "refund failed" email to the notification address, in the outbox like the payment emails.
     * One per payment (the outbox is unique per payment and kind): a second failure on the same
     * payment is in the audit log and on the invoice page. Null when one was queued already.
     */
    async queueRefundFailedNotice(paymentId: number): Promise<number | null> {
      if (await notices().findOne({ where: { paymentId, kind: 'refund_failed' } })) return null;
      const row = (await notices().create({
        data: {
          paymentId,
          kind: 'refund_failed',
          occurrence: '',
          status: 'due',
          attempts: 0,
          dueAt: new Date(Date.now() + outbox().retryAfterMs),
        },
      })) as NoticeRow;
      return row.id;
    },

    /**
     * The invoice email, reporting why it failed in words without secrets (the SMTP error's code
     * and response code only; its text may echo a user name or a host).
     */
    async trySendInvoice(invoice: InvoiceForMail): Promise<{ ok: true } | { ok: false; reason: string }> {
      if (!invoice.billingEmail) return { ok: false, reason: 'no billing email' };
      try {
        await strapi
          .plugin('email')
          .service('email')
          .send(await invoiceEmail(invoice).then((m) => ({ ...m, subject: oneLine(m.subject) })));
        return { ok: true };
      } catch (error) {
        strapi.log.warn(
          `[invoice-payments] invoice email for ${invoice.number} could not be sent: ${errorText(error)}`,
        );
        const e = (error ?? {}) as { code?: unknown; responseCode?: unknown };
        const parts = [
          typeof e.code === 'string' && /^[A-Z_]{2,20}$/.test(e.code) ? e.code : null,
          typeof e.responseCode === 'number' ? `SMTP ${e.responseCode}` : null,
        ].filter(Boolean);
        return {
          ok: false,
          reason: parts.length ? `email provider refused: ${parts.join(', ')}` : 'email provider error',
        };
      }
    },

    /**
     * Sends an outbox row this process just wrote, after claiming it like the worker does: a process
     * held up between its commit and this call (a loaded machine) finds the row taken by a worker
     * that found it due meanwhile, and sends nothing.
     */
    async sendQueued(queued: NoticeRow | number): Promise<void> {
      try {
        const row =
          typeof queued === 'number'
            ? ((await notices().findOne({ where: { id: queued } })) as NoticeRow | null)
            : queued;
        if (row && row.status === 'due') await claimAndDeliver(row);
      } catch (error) {
        // The payment is booked; the worker sends this email from the outbox later.
        strapi.log.warn(
          `[invoice-payments] email ${typeof queued === 'number' ? queued : queued.id} left to the worker: ${errorText(error)}`,
        );
      }
    },

    /**
     * `sendQueued` for the emails of a batch settled in one transaction (webhook-events). The rows
     * join one pipeline for the process: a few are handed to the email provider at a time, and the
     * outcomes are written together, one transaction per group, instead of one commit per email.
     * A crash between hand-off and that commit leaves an email due: the worker sends it again
     * under the same Message-ID (see sendPaymentNotice). The pipeline bounds how many can be in
     * that window (MAIL_IN_FLIGHT handed off + MAIL_UNRECORDED waiting for their commit), however
     * many batches settle at once. Resolves once every row given is handed off and recorded.
     */
    async sendQueuedMany(rows: readonly NoticeRow[]): Promise<void> {
      // Half the outbox delay: the rows' dueAt was set when they were queued, a moment ago.
      const until = Date.now() + outbox().retryAfterMs / 2;
      const inSnapshot = getService(strapi, 'settings').snapshotRunner();
      await queueMail(
        rows.filter((row) => row.status === 'due'),
        until,
        inSnapshot,
      );
    },

    /**
     * The worker's part: emails still due whose owner did not get them out in time (crash, SMTP
     * down, or a failure's retry come due). Page after page (at most `maxPages` per tick), through
     * the pipeline: a few hand-offs at a time, each row claimed first (claimRow: so two instances
     * never both send one), and one this process is handing off or has queued is left to it,
     * however long that takes. Returns how many were sent.
     */
    async sendDue(limit = 100, maxPages = 20): Promise<number> {
      const inSnapshot = getService(strapi, 'settings').snapshotRunner();
      let sent = 0;
      // Pages by id, so a page of rows this process is still sending never hides the ones after it.
      let after = 0;
      for (let page = 0; page < maxPages; page += 1) {
        const due = (await notices().findMany({
          where: { status: 'due', dueAt: { $lte: new Date() }, id: { $gt: after } },
          orderBy: { id: 'asc' },
          limit,
        })) as NoticeRow[];
        if (due.length === 0) break;
        after = due[due.length - 1]!.id;
        const mine = due.filter((row) => !inFlight.has(row.id) && !mailQueued.has(row.id));
        const outcomes = await queueMail(mine, 0, inSnapshot);
        sent += outcomes.filter((o) => o === 'sent').length;
        if (due.length < limit) break;
      }
      return sent;
    },

    /** How many emails this process is handing to the email provider (background `idle()`). */
    sending: () => inFlight.size,

    /** The invoice email with its "Pay online" button. */
    async sendInvoice(invoice: InvoiceForMail): Promise<boolean> {
      if (!invoice.billingEmail) return false;
      const mail = await invoiceEmail(invoice);
      return send(mail.to, mail.subject, mail.text, mail.html, mail.attachments);
    },
  };
};
