import {
  DEFAULT_REMINDER_SETTINGS,
  dueDateWindow,
  dueReminder,
  localDate,
  nextReminder,
  noReminderReason,
  reminderSchedule,
  reminderSettings,
  zonedInstant,
  type ReminderInvoice,
  type ReminderSettings,
} from '../../../server/src/domain/reminders';

/** The due-reminder rule: which reminder an invoice gets at an injected "now". */
const settings = (over: Partial<ReminderSettings> = {}): ReminderSettings => ({
  ...DEFAULT_REMINDER_SETTINGS,
  ...over,
});
const invoice = (over: Partial<ReminderInvoice> = {}): ReminderInvoice => ({
  state: 'sent',
  balanceDue: 10_000,
  dueDate: '2031-03-20',
  remindersEnabled: true,
  billingEmail: 'client@example.test',
  sentAt: '2031-03-01T10:00:00.000Z',
  ...over,
});
const at = (iso: string) => new Date(iso);
const key = (r: { key: string } | null) => r?.key ?? null;

describe('reminderSchedule', () => {
  it('3 days before, on the due date, 7 and 14 days after, at 09:00 in the time zone', () => {
    const plan = reminderSchedule('2031-03-20', settings());
    expect(plan.map((r) => [r.key, r.kind, r.days, r.date, r.at.toISOString()])).toEqual([
      ['before-3', 'before', -3, '2031-03-17', '2031-03-17T09:00:00.000Z'],
      ['due', 'due', 0, '2031-03-20', '2031-03-20T09:00:00.000Z'],
      ['after-7', 'after', 7, '2031-03-27', '2031-03-27T09:00:00.000Z'],
      ['after-14', 'after', 14, '2031-04-03', '2031-04-03T09:00:00.000Z'],
    ]);
  });

  it('custom offsets: duplicates and non-positive days dropped, sorted, no due-date reminder when off', () => {
    const plan = reminderSchedule(
      '2031-01-31',
      settings({ beforeDays: [1, 7, 7, 0], onDueDate: false, afterDays: [30, 2] }),
    );
    expect(plan.map((r) => [r.key, r.date])).toEqual([
      ['before-7', '2031-01-24'],
      ['before-1', '2031-01-30'],
      ['after-2', '2031-02-02'],
      ['after-30', '2031-03-02'],
    ]);
  });

  it('months and leap years', () => {
    const plan = reminderSchedule('2032-02-28', settings({ beforeDays: [], afterDays: [1, 2] }));
    expect(plan.map((r) => r.date)).toEqual(['2032-02-28', '2032-02-29', '2032-03-01']);
  });
});

describe('time zones', () => {
  it('the local day of an instant near midnight', () => {
    // 23:30 UTC on the 19th is already the 20th in Auckland and still the 19th in Los Angeles.
    expect(localDate(at('2031-03-19T23:30:00Z'), 'UTC')).toBe('2031-03-19');
    expect(localDate(at('2031-03-19T23:30:00Z'), 'Pacific/Auckland')).toBe('2031-03-20');
    expect(localDate(at('2031-03-20T06:30:00Z'), 'America/Los_Angeles')).toBe('2031-03-19');
  });

  it('09:00 local time in zones ahead of and behind UTC, across DST', () => {
    expect(zonedInstant('2031-01-15', 9, 'Europe/Amsterdam').toISOString()).toBe('2031-01-15T08:00:00.000Z');
    expect(zonedInstant('2031-07-15', 9, 'Europe/Amsterdam').toISOString()).toBe('2031-07-15T07:00:00.000Z');
    expect(zonedInstant('2031-03-20', 9, 'Pacific/Auckland').toISOString()).toBe('2031-03-19T20:00:00.000Z');
    expect(zonedInstant('2031-03-20', 9, 'America/New_York').toISOString()).toBe('2031-03-20T13:00:00.000Z');
    // The day Europe moves its clocks forward (2031-03-30, 02:00 → 03:00): 02:30 does not exist.
    expect(zonedInstant('2031-03-30', 2, 'Europe/Amsterdam').toISOString()).toBe('2031-03-30T01:00:00.000Z');
    expect(zonedInstant('2031-03-30', 9, 'Europe/Amsterdam').toISOString()).toBe('2031-03-30T07:00:00.000Z');
  });

  it('the due-date reminder in Auckland is due at 09:00 Auckland, which is the previous UTC day', () => {
    const s = settings({ timeZone: 'Pacific/Auckland' });
    const inv = invoice({ dueDate: '2031-03-20' });
    expect(key(dueReminder(inv, s, ['before-3'], at('2031-03-19T19:59:59Z')))).toBeNull();
    expect(key(dueReminder(inv, s, ['before-3'], at('2031-03-19T20:00:00Z')))).toBe('due');
  });

  it('at local midnight nothing is due yet before the send hour; the hour sets it off', () => {
    const s = settings({ timeZone: 'America/Los_Angeles', sendHour: 0 });
    const inv = invoice({ dueDate: '2031-03-20' });
    // Midnight 20 March in Los Angeles (PDT, UTC-7) is 07:00 UTC.
    expect(key(dueReminder(inv, s, ['before-3'], at('2031-03-20T06:59:59Z')))).toBeNull();
    expect(key(dueReminder(inv, s, ['before-3'], at('2031-03-20T07:00:00Z')))).toBe('due');
  });
});

describe('dueReminder', () => {
  const s = settings();
  it('nothing before the first reminder', () => {
    expect(dueReminder(invoice(), s, [], at('2031-03-17T08:59:59Z'))).toBeNull();
  });

  it('each reminder at its time, once', () => {
    const sent: string[] = [];
    const run = (iso: string) => {
      const r = dueReminder(invoice(), s, sent, at(iso));
      if (r) sent.push(r.key);
      return key(r);
    };
    expect(run('2031-03-17T09:00:00Z')).toBe('before-3');
    expect(run('2031-03-17T09:00:00Z')).toBeNull(); // the same minute again
    expect(run('2031-03-18T12:00:00Z')).toBeNull();
    expect(run('2031-03-20T09:00:01Z')).toBe('due');
    expect(run('2031-03-26T09:00:00Z')).toBeNull();
    expect(run('2031-03-27T09:00:00Z')).toBe('after-7');
    expect(run('2031-04-03T10:00:00Z')).toBe('after-14');
    expect(run('2031-06-01T10:00:00Z')).toBeNull();
    expect(sent).toEqual(['before-3', 'due', 'after-7', 'after-14']);
  });

  it('after a gap only the latest reminder goes out, never a late "before" one', () => {
    expect(key(dueReminder(invoice(), s, [], at('2031-03-28T09:00:00Z')))).toBe('after-7');
    expect(key(dueReminder(invoice(), s, ['after-7'], at('2031-03-28T09:00:00Z')))).toBeNull();
  });

  it('no reminder planned before the invoice was sent', () => {
    // Sent one day before its due date: no "3 days before" reminder, the due-date one comes.
    const late = invoice({ sentAt: '2031-03-19T15:00:00Z' });
    expect(dueReminder(late, s, [], at('2031-03-19T16:00:00Z'))).toBeNull();
    expect(key(nextReminder(late, s, [], at('2031-03-19T16:00:00Z')))).toBe('due');
    expect(key(dueReminder(late, s, [], at('2031-03-20T09:00:00Z')))).toBe('due');
  });

  it.each([
    ['paid', { state: 'paid', balanceDue: 0 }],
    ['void', { state: 'void' }],
    ['draft', { state: 'draft' }],
    ['no_balance', { state: 'partially_paid', balanceDue: 0 }],
    ['no_balance', { balanceDue: -500 }],
    ['switched_off', { remindersEnabled: false }],
    ['no_due_date', { dueDate: null }],
    ['no_email', { billingEmail: null }],
  ] as const)('none when %s', (reason, over) => {
    const inv = invoice(over as Partial<ReminderInvoice>);
    expect(noReminderReason(inv, s)).toBe(reason);
    expect(dueReminder(inv, s, [], at('2031-03-27T10:00:00Z'))).toBeNull();
    expect(nextReminder(inv, s, [], at('2031-03-10T10:00:00Z'))).toBeNull();
  });

  it('none when reminders are off in the settings', () => {
    expect(noReminderReason(invoice(), settings({ enabled: false }))).toBe('reminders_off');
    expect(dueReminder(invoice(), settings({ enabled: false }), [], at('2031-03-27T10:00:00Z'))).toBeNull();
  });

  it('a partially paid or viewed invoice with a balance gets them; a switch left empty counts as on', () => {
    for (const over of [{ state: 'partially_paid' }, { state: 'viewed' }, { remindersEnabled: null }]) {
      expect(key(dueReminder(invoice(over), s, [], at('2031-03-20T09:00:00Z')))).toBe('due');
    }
  });
});

describe('nextReminder', () => {
  it('the next one to come, then the one due now, then none after the last', () => {
    const s = settings();
    expect(nextReminder(invoice(), s, [], at('2031-03-10T00:00:00Z'))).toMatchObject({
      key: 'before-3',
      date: '2031-03-17',
    });
    expect(key(nextReminder(invoice(), s, ['before-3'], at('2031-03-18T00:00:00Z')))).toBe('due');
    expect(key(nextReminder(invoice(), s, ['before-3'], at('2031-03-20T10:00:00Z')))).toBe('due');
    expect(
      key(nextReminder(invoice(), s, ['before-3', 'due', 'after-7', 'after-14'], at('2031-04-04T00:00:00Z'))),
    ).toBeNull();
  });
});

describe('settings', () => {
  it('the due-date window covers the largest offsets with a day of margin', () => {
    expect(dueDateWindow(settings(), at('2031-03-20T12:00:00Z'))).toEqual({ from: '2031-03-05', to: '2031-03-24' });
  });

  it('stored settings from an older version (or damaged) fall back to the defaults', () => {
    expect(reminderSettings(undefined)).toEqual(DEFAULT_REMINDER_SETTINGS);
    expect(reminderSettings({ timeZone: 'Mars/Olympus', sendHour: 42, enabled: false })).toEqual({
      ...DEFAULT_REMINDER_SETTINGS,
      enabled: false,
    });
  });
});
