import {
  autopayKey,
  autopayRefusal,
  autopayRoomAction,
  autopaySchedule,
  autopaySettings,
  cardExpired,
  dueAutopayAttempt,
  isLastAutopayAttempt,
  isStoppingAutopayStatus,
  type AutopayAttemptStatus,
  type AutopaySettings,
  type MadeAttempt,
} from '../../../server/src/domain';

const settings: AutopaySettings = { enabled: true, retryDays: [1, 3, 7], chargeHour: 9 };
const invoice = { state: 'sent', balanceDue: 5000, dueDate: '2031-03-20' };
const at = (iso: string) => new Date(iso);

describe('autopay schedule', () => {
  it('plans the due date and 1, 3, 7 days after it, at the charge hour in the time zone', () => {
    const plan = autopaySchedule('2031-03-20', settings, 'Europe/Amsterdam');
    expect(plan.map((p) => [p.attemptNo, p.date, p.at.toISOString()])).toEqual([
      [0, '2031-03-20', '2031-03-20T08:00:00.000Z'],
      [1, '2031-03-21', '2031-03-21T08:00:00.000Z'],
      [2, '2031-03-23', '2031-03-23T08:00:00.000Z'],
      [3, '2031-03-27', '2031-03-27T08:00:00.000Z'],
    ]);
  });

  it('is due for the first attempt from the charge hour of the due date, and not before', () => {
    expect(dueAutopayAttempt(invoice, settings, 'UTC', [], at('2031-03-20T08:59:59Z'))).toBeNull();
    expect(dueAutopayAttempt(invoice, settings, 'UTC', [], at('2031-03-20T09:00:00Z'))?.attemptNo).toBe(0);
  });

  it('retries only after declines, one attempt per planned day, and never catches up missed ones one by one', () => {
    const declined = (...nos: number[]): MadeAttempt[] => nos.map((attemptNo) => ({ attemptNo, status: 'declined' }));
    expect(dueAutopayAttempt(invoice, settings, 'UTC', declined(0), at('2031-03-20T23:00:00Z'))).toBeNull();
    expect(dueAutopayAttempt(invoice, settings, 'UTC', declined(0), at('2031-03-21T09:00:00Z'))?.attemptNo).toBe(1);
    // The cron was down from day 1 to day 8: the latest planned attempt only.
    expect(dueAutopayAttempt(invoice, settings, 'UTC', declined(0), at('2031-03-28T10:00:00Z'))?.attemptNo).toBe(3);
    expect(dueAutopayAttempt(invoice, settings, 'UTC', declined(0, 3), at('2031-04-28T10:00:00Z'))).toBeNull();
    expect(isLastAutopayAttempt(3, settings)).toBe(true);
    expect(isLastAutopayAttempt(2, settings)).toBe(false);
  });

  it.each(['succeeded', 'processing', 'requires_action', 'refused', 'charging'] as const)(
    'stops after an attempt that is %s',
    (status) => {
      expect(
        dueAutopayAttempt(invoice, settings, 'UTC', [{ attemptNo: 0, status }], at('2031-03-28T10:00:00Z')),
      ).toBeNull();
    },
  );

  it('goes on after a deferral (the client was paying by hand): the next planned day looks again', () => {
    const deferred: MadeAttempt[] = [{ attemptNo: 0, status: 'deferred' }];
    // Not again the same day: one attempt per planned day.
    expect(dueAutopayAttempt(invoice, settings, 'UTC', deferred, at('2031-03-20T23:00:00Z'))).toBeNull();
    expect(dueAutopayAttempt(invoice, settings, 'UTC', deferred, at('2031-03-21T09:00:00Z'))?.attemptNo).toBe(1);
    // Deferred twice: the third planned day charges; once the payment by hand paid the invoice, nothing.
    const made: MadeAttempt[] = [...deferred, { attemptNo: 1, status: 'deferred' }];
    expect(dueAutopayAttempt(invoice, settings, 'UTC', made, at('2031-03-23T09:00:00Z'))?.attemptNo).toBe(2);
    expect(
      dueAutopayAttempt({ ...invoice, state: 'paid' }, settings, 'UTC', made, at('2031-03-23T09:00:00Z')),
    ).toBeNull();
    // Deferred on the last planned day: the schedule is over.
    const all: MadeAttempt[] = [0, 1, 2, 3].map((attemptNo) => ({ attemptNo, status: 'deferred' }));
    expect(dueAutopayAttempt(invoice, settings, 'UTC', all, at('2031-04-28T10:00:00Z'))).toBeNull();
  });

  it('tells which statuses end the schedule, unknown ones included', () => {
    const going = (['declined', 'failed', 'deferred'] as const).filter((s) => isStoppingAutopayStatus(s));
    expect(going).toEqual([]);
    for (const s of ['succeeded', 'processing', 'requires_action', 'refused', 'charging', 'later'])
      expect(isStoppingAutopayStatus(s as AutopayAttemptStatus)).toBe(true);
  });

  it('charges only when nothing else can take money, re-checks after money arrived, defers a payment in progress', () => {
    expect(autopayRoomAction('clear', false)).toBe('charge');
    expect(autopayRoomAction('settled', false)).toBe('recheck');
    expect(autopayRoomAction('settled', true)).toBe('recheck');
    expect(autopayRoomAction('blocked', false)).toBe('defer');
    // A live share of a multi-invoice payment is never ended by autopay: it defers.
    expect(autopayRoomAction('clear', true)).toBe('defer');
  });

  it('refuses void, paid, draft and settled invoices, and does nothing when switched off', () => {
    expect(autopayRefusal({ ...invoice, state: 'void' })).toBe('void');
    expect(autopayRefusal({ ...invoice, state: 'paid' })).toBe('paid');
    expect(autopayRefusal({ ...invoice, state: 'draft' })).toBe('draft');
    expect(autopayRefusal({ ...invoice, balanceDue: 0 })).toBe('no_balance');
    expect(autopayRefusal({ ...invoice, dueDate: null })).toBe('no_due_date');
    const later = at('2031-03-21T10:00:00Z');
    expect(dueAutopayAttempt({ ...invoice, state: 'void' }, settings, 'UTC', [], later)).toBeNull();
    expect(dueAutopayAttempt(invoice, { ...settings, enabled: false }, 'UTC', [], later)).toBeNull();
  });

  it('derives one idempotency key per invoice, due date and attempt', () => {
    expect(autopayKey('abc', '2031-03-20', 2)).toBe('autopay:abc:2031-03-20:2');
    expect(new Set([autopayKey('a', '2031-03-20', 0), autopayKey('a', '2031-03-21', 0)]).size).toBe(2);
  });

  it('knows expired cards and fills in missing settings', () => {
    expect(cardExpired(12, 2030, at('2030-12-31T23:59:00Z'))).toBe(false);
    expect(cardExpired(12, 2030, at('2031-01-01T00:00:00Z'))).toBe(true);
    expect(cardExpired(null, null, at('2031-01-01T00:00:00Z'))).toBe(false);
    expect(autopaySettings(undefined)).toEqual({ enabled: true, retryDays: [1, 3, 7], chargeHour: 9 });
    expect(autopaySettings({ chargeHour: 99 as number }).chargeHour).toBe(9);
  });
});
