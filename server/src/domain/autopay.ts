/**
 * Autopay: which off-session charge an invoice is due for at a given instant. Plain TS, no Strapi,
 * no provider: the caller passes "now" (the cron's clock, a test's fake clock) and the attempts
 * already made.
 *
 * Attempt 0 is planned on the due date, attempt n (n ≥ 1) `retryDays[n-1]` days after it, each at
 * `chargeHour` o'clock in the site's time zone (the reminders' one). At an instant an invoice is due
 * for at most one attempt: the latest planned one whose time has come, when no attempt at or after it
 * was made. Attempts missed while the cron was down are not made one per minute to catch up.
 * Only a decline, a failure or a deferral goes on with the schedule: an attempt that succeeded, is
 * processing, needs the client to authenticate, was refused (no usable saved method) or is still
 * in flight stops it. A deferral is an attempt not made because the client is paying the invoice
 * by hand right then (a bank debit processing, a fresh 3-D Secure step, a multi-invoice payment
 * open in the portal): the next planned day looks again, and finds the invoice paid or charges.
 */
import { addCalendarDays, zonedInstant } from './reminders';

export interface AutopaySettings {
  /** Off: the cron charges nothing, whatever clients have autopay on. */
  enabled: boolean;
  /** Days after the due date a declined charge is tried again, e.g. [1, 3, 7]. */
  retryDays: number[];
  /** Hour of the day (0–23, in the site's time zone) at which a day's charges are made. */
  chargeHour: number;
}

export const DEFAULT_AUTOPAY_SETTINGS: AutopaySettings = { enabled: true, retryDays: [1, 3, 7], chargeHour: 9 };
export const MAX_AUTOPAY_RETRIES = 5;
export const MAX_AUTOPAY_RETRY_DAYS = 60;

export type AutopayAttemptStatus =
  'charging' | 'succeeded' | 'processing' | 'requires_action' | 'declined' | 'refused' | 'failed' | 'deferred';

/**
 * Statuses after which the schedule goes on (the next planned day tries again). Every other one
 * ('charging', 'succeeded', 'processing', 'requires_action', 'refused', and any value not known
 * here) stops it for the same due date: never charge on a status not understood.
 */
const GOING_ON: readonly AutopayAttemptStatus[] = ['declined', 'failed', 'deferred'];

/** Whether an attempt with this status ends the schedule of its due date (no later attempt is made). */
export function isStoppingAutopayStatus(status: AutopayAttemptStatus): boolean {
  return !GOING_ON.includes(status);
}

/**
 * What an autopay attempt does about the invoice's other payments, from what the pay page's rules
 * (services/attempts makeRoom, domain planAttempts) found while autopay holds the invoice's
 * attempt lease:
 * - `clear`: nothing else can take money now (open drawer payments and abandoned 3-D Secure steps
 *   were ended): charge;
 * - `settled`: money arrived on one and was booked: read the invoice again and decide again;
 * - `blocked` (a payment really in progress: processing, a fresh 3-D Secure step, a voucher), or
 *   a live share of a multi-invoice payment (never ended by autopay: it covers other invoices and
 *   the client may be paying it in the portal): defer. Not a refusal: the schedule goes on, so a
 *   payment that later fails leaves the next retry day to charge.
 */
export type AutopayRoom = 'clear' | 'settled' | 'blocked';
export type AutopayRoomAction = 'charge' | 'recheck' | 'defer';

export function autopayRoomAction(room: AutopayRoom, liveShare: boolean): AutopayRoomAction {
  if (room === 'settled') return 'recheck';
  if (liveShare || room === 'blocked') return 'defer';
  return 'charge';
}

export interface AutopayInvoice {
  state: string;
  balanceDue: number;
  /** YYYY-MM-DD in the site's time zone. */
  dueDate: string | null;
}

export interface PlannedAutopay {
  attemptNo: number;
  /** Days after the due date (0 for the first attempt). */
  days: number;
  date: string;
  at: Date;
}

export interface MadeAttempt {
  attemptNo: number;
  status: AutopayAttemptStatus;
}

export type AutopayRefusal = 'void' | 'paid' | 'draft' | 'no_balance' | 'no_due_date';

const ACTIVE = ['sent', 'viewed', 'partially_paid'];

/** Why this invoice must never be charged automatically now, or null. */
export function autopayRefusal(invoice: AutopayInvoice): AutopayRefusal | null {
  if (invoice.state === 'void') return 'void';
  if (invoice.state === 'paid') return 'paid';
  if (!ACTIVE.includes(invoice.state)) return 'draft';
  if (!(invoice.balanceDue > 0)) return 'no_balance';
  if (!invoice.dueDate || !/^\d{4}-\d{2}-\d{2}$/.test(invoice.dueDate)) return 'no_due_date';
  return null;
}

/** The retry days as used: positive whole days, ascending, without repeats. */
export function retryOffsets(settings: AutopaySettings): number[] {
  return [...new Set(settings.retryDays.filter((d) => Number.isInteger(d) && d > 0))].sort((a, b) => a - b);
}

export function autopaySchedule(dueDate: string, settings: AutopaySettings, timeZone: string): PlannedAutopay[] {
  return [0, ...retryOffsets(settings)].map((days, attemptNo) => {
    const date = addCalendarDays(dueDate, days);
    return { attemptNo, days, date, at: zonedInstant(date, settings.chargeHour, timeZone) };
  });
}

/** The attempt to make now, or null. */
export function dueAutopayAttempt(
  invoice: AutopayInvoice,
  settings: AutopaySettings,
  timeZone: string,
  made: readonly MadeAttempt[],
  now: Date,
): PlannedAutopay | null {
  if (!settings.enabled || autopayRefusal(invoice)) return null;
  if (made.some((a) => isStoppingAutopayStatus(a.status))) return null;
  const passed = autopaySchedule(invoice.dueDate!, settings, timeZone).filter((p) => p.at.getTime() <= now.getTime());
  const latest = passed[passed.length - 1];
  if (!latest) return null;
  const highest = Math.max(-1, ...made.map((a) => a.attemptNo));
  return latest.attemptNo > highest ? latest : null;
}

/** True when a decline of this attempt ends the schedule (no retry left). */
export function isLastAutopayAttempt(attemptNo: number, settings: AutopaySettings): boolean {
  return attemptNo >= retryOffsets(settings).length;
}

/** The next planned attempt after `attemptNo`, for people ("next try on …"). */
export function nextAutopayAttempt(
  dueDate: string,
  settings: AutopaySettings,
  timeZone: string,
  attemptNo: number,
): PlannedAutopay | null {
  return autopaySchedule(dueDate, settings, timeZone).find((p) => p.attemptNo === attemptNo + 1) ?? null;
}

/**
 * The Idempotency-Key of one off-session charge: derived from the invoice, the due date the schedule
 * was planned from and the attempt number, so a retry of the same attempt (a crash, a second
 * instance) replays the first answer instead of charging again.
 */
export function autopayKey(invoiceDocumentId: string, dueDate: string, attemptNo: number): string {
  return `autopay:${invoiceDocumentId}:${dueDate}:${attemptNo}`;
}

/** Settings as stored (possibly partial or absent), with defaults filled in. */
export function autopaySettings(stored: Partial<AutopaySettings> | null | undefined): AutopaySettings {
  const s = { ...DEFAULT_AUTOPAY_SETTINGS, ...(stored ?? {}) };
  return {
    enabled: s.enabled !== false,
    retryDays: Array.isArray(s.retryDays) ? s.retryDays : DEFAULT_AUTOPAY_SETTINGS.retryDays,
    chargeHour: Number.isInteger(s.chargeHour) && s.chargeHour >= 0 && s.chargeHour <= 23 ? s.chargeHour : 9,
  };
}

/** Whether a card expiring at the end of `expMonth`/`expYear` has expired at `now` (UTC). */
export function cardExpired(expMonth: number | null, expYear: number | null, now: Date): boolean {
  if (!expMonth || !expYear) return false;
  return now.getTime() >= Date.UTC(expYear, expMonth, 1);
}
