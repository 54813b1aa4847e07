import type { IntlShape } from 'react-intl';

/** "22 Nov 2026, 14:05" in the admin's language; an em dash when there is no date. */
export function formatDateTime(intl: IntlShape, value: string | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return '—';
  return intl.formatDate(date, { dateStyle: 'medium', timeStyle: 'short' });
}

/** Calendar dates (due date, issue date) are stored as YYYY-MM-DD: shown without a time zone shift. */
export function formatDay(intl: IntlShape, value: string | null | undefined): string {
  if (!value) return '—';
  const date = new Date(`${value.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return '—';
  return intl.formatDate(date, { dateStyle: 'medium', timeZone: 'UTC' });
}

/** Today as YYYY-MM-DD in the admin's own time zone (what "today" means to the person typing). */
export function todayIso(now = new Date()): string {
  const y = now.getFullYear();
  const m = String(now.getMonth() + 1).padStart(2, '0');
  const d = String(now.getDate()).padStart(2, '0');
  return `${y}-${m}-${d}`;
}
