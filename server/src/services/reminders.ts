import type { Core } from '@strapi/strapi';
import { NEUTRAL_BRAND, type Brand } from '../branding/brand';
import { renderEmail } from '../branding/email';
import { z } from 'zod';
import {
  dueDateWindow,
  dueReminder,
  formatMinor,
  nextReminder,
  noReminderReason,
  reminderSettings,
  type NoReminderReason,
  type PlannedReminder,
  type ReminderInvoice,
  type ReminderKind,
} from '../domain';
import { UID } from '../utils/plugin-id';
import { getService } from '../utils/get-service';
import { notFound, reasonOf } from '../utils/errors';
import { isUniqueViolation, retryAfterDeadlock } from '../utils/unique-violation';
import { greeting, mailDate, oneLine, type InvoiceForMail, type NoticeRow, type SendResult } from './notifications';
import type { ClientLocale } from './pages';
import { translator } from '../i18n';
import type { Actor } from './settings';

/**
 * Payment reminders before and after an invoice's due date (Settings → Reminders). Strapi's cron
 * calls `runDue` every minute on every instance; which reminder an invoice is due for is decided
 * by domain/reminders.ts from the clock. A reminder is claimed by inserting its row, unique per
 * invoice and reminder: the instance whose insert fails has nothing to do. The email goes through
 * the outbox (services/notifications) in the same transaction, so a crash or an SMTP failure is
 * retried by the outbox worker, and the send re-checks the invoice (paid, voided or switched off
 * meanwhile: skipped). The email itself goes out once: its outbox row is claimed by a conditional
 * UPDATE before each hand-off (notifications `claimRow`), by this run or by a worker, never both.
 */

interface InvoiceRow extends InvoiceForMail {
  id: number;
  state: string;
  remindersEnabled: boolean | null;
  sentAt: string | null;
}

interface ReminderRow {
  id: number;
  invoiceId: number;
  invoiceDocumentId: string;
  reminderKey: string;
  kind: ReminderKind;
  days: number;
  dueDate: string | null;
  plannedAt: string | null;
  createdAt: string;
}

export interface ReminderHistoryEntry {
  key: string;
  kind: ReminderKind;
  days: number;
  /** When it became due, and what the outbox made of it. */
  plannedAt: string | null;
  status: 'sending' | 'sent' | 'skipped' | 'failed';
  sentAt: string | null;
  attempts: number;
}

export interface InvoiceReminders {
  /** The invoice's own switch. */
  enabled: boolean;
  /** The site-wide switch (Settings → Reminders). */
  settingsEnabled: boolean;
  timeZone: string;
  next: { key: string; kind: ReminderKind; days: number; date: string; at: string } | null;
  /** Why there is no next reminder: a reason from the rule, or none_left after the last one. */
  reason: NoReminderReason | 'none_left' | null;
  history: ReminderHistoryEntry[];
}

export const reminderSwitchSchema = z.object({ enabled: z.boolean('Send true or false.') }).strict();

const ACTIVE_STATES = ['sent', 'viewed', 'partially_paid'];

/** Subject and body of a reminder email, in the client's language (`locale`: notifications mailLocale). */
export function reminderText(
  kind: ReminderKind,
  invoice: InvoiceForMail,
  link: string,
  brand: Brand = NEUTRAL_BRAND,
  locale: ClientLocale = { language: 'en', intl: 'en-US' },
) {
  const t = translator(locale.language);
  const amount = formatMinor(Math.max(0, invoice.balanceDue), invoice.currency, locale.intl);
  const vars = { number: invoice.number, amount, due: invoice.dueDate ? mailDate(invoice.dueDate, locale.intl) : '' };
  const [subject, line] =
    kind === 'before'
      ? [t('email.reminderBeforeSubject', vars), t('email.reminderBeforeLine', vars)]
      : kind === 'due'
        ? [t('email.reminderDueSubject', vars), t('email.reminderDueLine', vars)]
        : [t('email.reminderAfterSubject', vars), t('email.reminderAfterLine', vars)];
  // Branded HTML and text (branding/email.ts), like every email of the plugin.
  const email = renderEmail(
    brand,
    {
      heading: subject,
      paragraphs: [greeting(t, invoice.billingName), line, t('email.reminderIgnore')],
      button: { label: t('email.payOnline', { amount }), url: link },
      language: locale.language,
    },
    t,
  );
  return { subject, text: email.text, html: email.html, attachments: email.attachments };
}

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const reminders = () => strapi.db.query(UID.reminder);
  const notices = () => strapi.db.query(UID.notice);
  const invoices = () => strapi.db.query(UID.invoice);
  /** The clock the cron reads; tests set another (`setClock`). */
  let clock: () => Date = () => new Date();

  const loadSettings = async () => reminderSettings((await getService(strapi, 'settings').load()).reminders);

  const ruleInput = (invoice: InvoiceRow): ReminderInvoice => ({
    state: invoice.state,
    balanceDue: Number(invoice.balanceDue),
    dueDate: invoice.dueDate,
    remindersEnabled: invoice.remindersEnabled,
    billingEmail: invoice.billingEmail,
    sentAt: invoice.sentAt,
  });

  /** Inserts the reminder's row and its outbox email together; null when another run claimed it first. */
  async function claim(invoice: InvoiceRow, planned: PlannedReminder): Promise<NoticeRow | null> {
    try {
      return await retryAfterDeadlock(() =>
        strapi.db.transaction(async () => {
          const row = (await reminders().create({
            data: {
              invoiceId: invoice.id,
              invoiceDocumentId: invoice.documentId,
              reminderKey: planned.key,
              kind: planned.kind,
              days: planned.days,
              dueDate: invoice.dueDate,
              plannedAt: planned.at,
            },
          })) as ReminderRow;
          return getService(strapi, 'notifications').queueReminderNotice(row.id);
        }),
      );
    } catch (error) {
      if (isUniqueViolation(error)) return null;
      throw error;
    }
  }

  return {
    /** Tests and demos: the instant the cron's runs see as "now" (null: the real clock). */
    setClock(now: (() => Date) | null) {
      clock = now ?? (() => new Date());
    },
    now: () => clock(),

    /**
     * The cron's part: every reminder due at `now`, claimed and sent (the outbox worker retries
     * what could not be sent). Returns how many this run claimed.
     */
    async runDue(now: Date = clock(), batchSize = 200): Promise<number> {
      const settings = await loadSettings();
      if (!settings.enabled) return 0;
      const window = dueDateWindow(settings, now);
      const notifications = getService(strapi, 'notifications');
      let claimed = 0;
      // Every open invoice in the window, a batch at a time (by id): invoices that got their
      // reminder stay open, so a batch must not stop at the first ones.
      for (let after = 0; ;) {
        const candidates = (await invoices().findMany({
          where: {
            id: { $gt: after },
            state: { $in: ACTIVE_STATES },
            balanceDue: { $gt: 0 },
            dueDate: { $gte: window.from, $lte: window.to },
            billingEmail: { $notNull: true },
            $or: [{ remindersEnabled: { $null: true } }, { remindersEnabled: true }],
          },
          orderBy: { id: 'asc' },
          limit: batchSize,
        })) as InvoiceRow[];
        if (!candidates.length) return claimed;
        after = candidates[candidates.length - 1]!.id;
        const sent = (await reminders().findMany({
          where: { invoiceId: { $in: candidates.map((i) => i.id) } },
          select: ['invoiceId', 'reminderKey', 'dueDate'],
        })) as Array<Pick<ReminderRow, 'invoiceId' | 'reminderKey' | 'dueDate'>>;
        const keys = new Map<number, string[]>();
        const byId = new Map(candidates.map((i) => [i.id, i]));
        for (const r of sent) {
          // Reminders planned from an earlier due date do not count for a moved one.
          if (r.dueDate !== byId.get(r.invoiceId)?.dueDate) continue;
          keys.set(r.invoiceId, [...(keys.get(r.invoiceId) ?? []), r.reminderKey]);
        }
        for (const invoice of candidates) {
          const planned = dueReminder(ruleInput(invoice), settings, keys.get(invoice.id) ?? [], now);
          if (!planned) continue;
          try {
            const notice = await claim(invoice, planned);
            if (!notice) continue;
            claimed += 1;
            await notifications.sendQueued(notice);
          } catch (error) {
            strapi.log.warn(
              `[invoice-payments] reminder ${planned.key} for invoice ${invoice.number} failed: ${reasonOf(error)}`,
            );
          }
        }
        if (candidates.length < batchSize) return claimed;
      }
    },

    /**
     * The outbox's part: sends a claimed reminder's email, unless the invoice no longer wants it
     * (paid, voided, balance zero, switched off, reminders off). Throws when the mail provider does.
     */
    async sendReminder(reminderId: number, messageId: string): Promise<SendResult> {
      const row = (await reminders().findOne({ where: { id: reminderId } })) as ReminderRow | null;
      if (!row) return { outcome: 'skipped' };
      const invoice = (await invoices().findOne({ where: { id: row.invoiceId } })) as InvoiceRow | null;
      if (!invoice) return { outcome: 'skipped' };
      const details = { reminder: row.reminderKey, kind: row.kind, days: row.days, dueDate: invoice.dueDate };
      // No pay link (never issued): a reminder without one would only frustrate the client.
      // A bank debit the provider is processing (SEPA, ACH: days) is paying the balance but is not in
      // it yet: the reminder asks only for what it does not cover, and none is sent when it covers
      // all (the client would pay twice). If the debit fails, the client gets its failure email.
      const processing = (await strapi.db.query(UID.payment).findMany({
        where: { invoice: { id: invoice.id }, status: 'processing', voidedAt: { $null: true } },
        select: ['amount', 'mismatch'],
      })) as Array<{ amount: number; mismatch: string | null }>;
      const open = invoice.balanceDue - processing.reduce((sum, p) => sum + (p.mismatch ? 0 : p.amount), 0);
      const why =
        noReminderReason(ruleInput(invoice), await loadSettings()) ??
        (invoice.payToken ? null : 'no_pay_link') ??
        (open > 0 ? null : 'payment_pending');
      if (why)
        return { outcome: 'skipped', invoice, audit: { action: 'reminder.skipped', details: { ...details, why } } };
      const link = getService(strapi, 'notifications').payLink(invoice);
      const brand = await getService(strapi, 'branding').current();
      const locale = await getService(strapi, 'notifications').mailLocale(invoice);
      const { subject, text, html, attachments } = reminderText(
        row.kind,
        { ...invoice, balanceDue: open },
        link,
        brand,
        locale,
      );
      await strapi
        .plugin('email')
        .service('email')
        .send({
          to: invoice.billingEmail!,
          subject: oneLine(subject),
          text,
          html,
          attachments,
          headers: { 'Message-ID': messageId },
        });
      return {
        outcome: 'sent',
        invoice,
        audit: { action: 'reminder.sent', details: { ...details, to: invoice.billingEmail } },
      };
    },

    forInvoice,

    /** Turns reminders on or off for one invoice (the invoice page's switch). */
    async setEnabled(documentId: string, body: unknown, actor: Actor): Promise<InvoiceReminders> {
      const { enabled } = reminderSwitchSchema.parse(body ?? {});
      const invoice = (await invoices().findOne({ where: { documentId } })) as InvoiceRow | null;
      if (!invoice) throw notFound('No invoice with this id.');
      if ((invoice.remindersEnabled !== false) !== enabled) {
        // One column; no totals change, so no invoice lock is needed.
        await invoices().update({ where: { id: invoice.id }, data: { remindersEnabled: enabled } });
        await getService(strapi, 'audit').log({
          action: enabled ? 'invoice.reminders_on' : 'invoice.reminders_off',
          actor,
          invoice: { documentId: invoice.documentId, number: invoice.number },
        });
      }
      return forInvoice(documentId);
    },
  };

  /** The invoice page's panel: the invoice's switch, its next reminder and those sent. */
  async function forInvoice(documentId: string, now: Date = clock()): Promise<InvoiceReminders> {
    const invoice = (await invoices().findOne({ where: { documentId } })) as InvoiceRow | null;
    if (!invoice) throw notFound('No invoice with this id.');
    const settings = await loadSettings();
    const rows = (await reminders().findMany({
      where: { invoiceId: invoice.id },
      orderBy: { id: 'asc' },
    })) as ReminderRow[];
    const outbox = rows.length
      ? ((await notices().findMany({ where: { reminderId: { $in: rows.map((r) => r.id) } } })) as Array<
          NoticeRow & { sentAt: string | null }
        >)
      : [];
    const history = rows.map((r): ReminderHistoryEntry => {
      const notice = outbox.find((n) => n.reminderId === r.id);
      return {
        key: r.reminderKey,
        kind: r.kind,
        days: r.days,
        plannedAt: r.plannedAt,
        status: !notice || notice.status === 'due' ? 'sending' : notice.status,
        sentAt: notice?.sentAt ?? null,
        attempts: notice?.attempts ?? 0,
      };
    });
    const rule = ruleInput(invoice);
    // A reminder planned from another due date (the date changed since) does not count as sent.
    const sentKeys = rows.filter((r) => r.dueDate === invoice.dueDate).map((r) => r.reminderKey);
    const next = nextReminder(rule, settings, sentKeys, now);
    return {
      enabled: invoice.remindersEnabled !== false,
      settingsEnabled: settings.enabled,
      timeZone: settings.timeZone,
      next: next
        ? { key: next.key, kind: next.kind, days: next.days, date: next.date, at: next.at.toISOString() }
        : null,
      reason: next ? null : (noReminderReason(rule, settings) ?? 'none_left'),
      history,
    };
  }
};
