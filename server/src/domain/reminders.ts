/**
 * Payment reminders: which reminder an invoice is due for at a given instant. Plain TS, no Strapi:
 * the caller passes "now" (the cron's clock, a test's fake clock) and the reminders already sent.
 *
 * A reminder is planned for a calendar day relative to the invoice's due date (3 days before, the
 * due date, 7 and 14 days after, by default), at `sendHour` o'clock in the site's time zone. At a
 * given instant an invoice is due for at most one reminder: the latest planned one whose time has
 * come, unless it was sent already. Earlier ones missed while the cron was not running are never
 * sent late (a "due in 3 days" email after the due date would be wrong), nor are ones planned
 * before the invoice was sent to the client.
 */

export type ReminderKind = 'before' | 'due' | 'after';

export interface ReminderSettings {
  /** Off: no reminder is sent for any invoice. */
  enabled: boolean;
  /** Days before the due date, e.g. [3]. */
  beforeDays: number[];
  /** A reminder on the due date itself. */
  onDueDate: boolean;
  /** Days after the due date, e.g. [7, 14]. */
  afterDays: number[];
  /** IANA time zone whose calendar days the due dates are, e.g. "Europe/Amsterdam". */
  timeZone: string;
  /** Hour of the day (0–23, in `timeZone`) at which a day's reminders go out. */
  sendHour: number;
}

export const DEFAULT_REMINDER_SETTINGS: ReminderSettings = {
  enabled: true,
  beforeDays: [3],
  onDueDate: true,
  afterDays: [7, 14],
  timeZone: 'UTC',
  sendHour: 9,
};

/** The most reminders of one kind an admin may plan, and the farthest from the due date. */
export const MAX_REMINDER_OFFSETS = 5;
export const MAX_REMINDER_DAYS = 365;

export interface ReminderInvoice {
  state: string;
  balanceDue: number;
  /** YYYY-MM-DD, a calendar day in the settings' time zone. */
  dueDate: string | null;
  /** The per-invoice switch; null (invoices from before the switch existed) counts as on. */
  remindersEnabled: boolean | null | undefined;
  billingEmail: string | null | undefined;
  /** When the invoice was sent to the client, if known. */
  sentAt: Date | string | null | undefined;
}

export interface PlannedReminder {
  /** Unique per invoice: "before-3", "due", "after-7". */
  key: string;
  kind: ReminderKind;
  /** Days relative to the due date: -3, 0, 7. */
  days: number;
  /** The calendar day it is planned for (YYYY-MM-DD). */
  date: string;
  /** The instant it becomes due. */
  at: Date;
}

export type NoReminderReason =
  'reminders_off' | 'switched_off' | 'draft' | 'paid' | 'void' | 'no_balance' | 'no_due_date' | 'no_email';

export function reminderKey(kind: ReminderKind, days: number): string {
  return kind === 'due' ? 'due' : `${kind}-${Math.abs(days)}`;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True when `timeZone` is an IANA zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

function zonedParts(instant: Date, timeZone: string) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(instant);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return { y: get('year'), m: get('month'), d: get('day'), h: get('hour'), min: get('minute'), s: get('second') };
}

/** The calendar day (YYYY-MM-DD) `instant` falls on in `timeZone`. */
export function localDate(instant: Date, timeZone: string): string {
  const { y, m, d } = zonedParts(instant, timeZone);
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** `date` (YYYY-MM-DD) plus `days` calendar days. */
export function addCalendarDays(date: string, days: number): string {
  const match = DATE.exec(date);
  if (!match) throw new Error(`Not a calendar date: ${date}`);
  const t = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + days);
  return new Date(t).toISOString().slice(0, 10);
}

/** Milliseconds `timeZone` is ahead of UTC at `instant`. */
function offsetMs(instant: Date, timeZone: string): number {
  const p = zonedParts(instant, timeZone);
  const asUtc = Date.UTC(p.y, p.m - 1, p.d, p.h, p.min, p.s);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/**
 * The instant the wall clock in `timeZone` shows `hour`:00 on `date`. On a day a DST change skips
 * that hour, the instant just after the gap.
 */
export function zonedInstant(date: string, hour: number, timeZone: string): Date {
  const match = DATE.exec(date);
  if (!match) throw new Error(`Not a calendar date: ${date}`);
  const wall = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), hour);
  // Two passes: the offset at the first guess may differ from the one at the answer (DST).
  const first = wall - offsetMs(new Date(wall), timeZone);
  const second = wall - offsetMs(new Date(first), timeZone);
  return new Date(Math.max(first, second));
}

/** Every reminder planned for an invoice due on `dueDate`, earliest first. */
export function reminderSchedule(dueDate: string, settings: ReminderSettings): PlannedReminder[] {
  const offsets = new Set<number>();
  for (const d of settings.beforeDays) if (Number.isInteger(d) && d > 0) offsets.add(-d);
  if (settings.onDueDate) offsets.add(0);
  for (const d of settings.afterDays) if (Number.isInteger(d) && d > 0) offsets.add(d);
  return [...offsets]
    .sort((a, b) => a - b)
    .map((days) => {
      const kind: ReminderKind = days < 0 ? 'before' : days === 0 ? 'due' : 'after';
      const date = addCalendarDays(dueDate, days);
      return {
        key: reminderKey(kind, days),
        kind,
        days,
        date,
        at: zonedInstant(date, settings.sendHour, settings.timeZone),
      };
    });
}

/** Why this invoice gets no reminder at all, or null when it may get them. */
export function noReminderReason(invoice: ReminderInvoice, settings: ReminderSettings): NoReminderReason | null {
  if (!settings.enabled) return 'reminders_off';
  if (invoice.state === 'draft') return 'draft';
  if (invoice.state === 'void') return 'void';
  if (invoice.state === 'paid') return 'paid';
  if (!(invoice.balanceDue > 0)) return 'no_balance';
  if (invoice.remindersEnabled === false) return 'switched_off';
  if (!invoice.dueDate || !DATE.test(invoice.dueDate)) return 'no_due_date';
  if (!invoice.billingEmail) return 'no_email';
  return null;
}

/** The reminders that can still come, given when the invoice was sent. */
function candidates(invoice: ReminderInvoice, settings: ReminderSettings): PlannedReminder[] {
  const sentAt = invoice.sentAt ? new Date(invoice.sentAt) : null;
  const notBefore = sentAt && !Number.isNaN(sentAt.getTime()) ? sentAt.getTime() : -Infinity;
  return reminderSchedule(invoice.dueDate!, settings).filter((r) => r.at.getTime() >= notBefore);
}

/**
 * The reminder to send now, or null: the latest planned one whose time has come, if it was not
 * sent already (`sentKeys`).
 */
export function dueReminder(
  invoice: ReminderInvoice,
  settings: ReminderSettings,
  sentKeys: Iterable<string>,
  now: Date,
): PlannedReminder | null {
  if (noReminderReason(invoice, settings)) return null;
  const passed = candidates(invoice, settings).filter((r) => r.at.getTime() <= now.getTime());
  const latest = passed[passed.length - 1];
  if (!latest) return null;
  return new Set(sentKeys).has(latest.key) ? null : latest;
}

/**
 * The reminder the invoice gets next (the one due now if any, else the first one still to come),
 * or null when none will come.
 */
export function nextReminder(
  invoice: ReminderInvoice,
  settings: ReminderSettings,
  sentKeys: Iterable<string>,
  now: Date,
): PlannedReminder | null {
  const sent = new Set(sentKeys);
  const current = dueReminder(invoice, settings, sent, now);
  if (current) return current;
  if (noReminderReason(invoice, settings)) return null;
  return candidates(invoice, settings).find((r) => r.at.getTime() > now.getTime() && !sent.has(r.key)) ?? null;
}

/**
 * The window of due dates that can have a reminder due today (in the site's time zone), with a
 * day's margin each side for the hour and the zone: the cron reads only those invoices.
 */
export function dueDateWindow(settings: ReminderSettings, now: Date): { from: string; to: string } {
  const today = localDate(now, settings.timeZone);
  const maxAfter = Math.max(0, ...settings.afterDays);
  const maxBefore = Math.max(0, ...settings.beforeDays);
  return { from: addCalendarDays(today, -maxAfter - 1), to: addCalendarDays(today, maxBefore + 1) };
}

/** Settings as stored (possibly partial, from an older version), with the defaults filled in. */
export function reminderSettings(stored: Partial<ReminderSettings> | null | undefined): ReminderSettings {
  const s = { ...DEFAULT_REMINDER_SETTINGS, ...(stored ?? {}) };
  return {
    enabled: s.enabled !== false,
    beforeDays: Array.isArray(s.beforeDays) ? s.beforeDays : DEFAULT_REMINDER_SETTINGS.beforeDays,
    onDueDate: s.onDueDate !== false,
    afterDays: Array.isArray(s.afterDays) ? s.afterDays : DEFAULT_REMINDER_SETTINGS.afterDays,
    timeZone: typeof s.timeZone === 'string' && isTimeZone(s.timeZone) ? s.timeZone : 'UTC',
    sendHour: Number.isInteger(s.sendHour) && s.sendHour >= 0 && s.sendHour <= 23 ? s.sendHour : 9,
  };
}
