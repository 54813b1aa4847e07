import { bootPayments, eventually, payableInvoice, readInvoice, type PaymentsEnv } from '../support/payments';
import { waitForIdle } from '../support/idle';
// A second reminders service on the same database, as another Strapi instance has (see the test "two instances").
import remindersService from '../../server/src/services/reminders';

/**
 * Payment reminders (services/reminders, domain/reminders) against the real Strapi: the cron
 * job with a fake clock, claims through the database (a second run, a second instance), the
 * per-invoice switch, and invoices that must get none. Each test uses due dates in a year of its
 * own, so the cron (which runs every second here) never finds another test's invoices.
 */
let env: PaymentsEnv;
const REMINDER = 'plugin::invoice-payments.reminder';
const NOTICE = 'plugin::invoice-payments.notice';
const AUDIT = 'plugin::invoice-payments.audit-entry';
const INVOICE = 'plugin::invoice-payments.invoice';

interface RemindersApi {
  setClock(now: (() => Date) | null): void;
  runDue(now?: Date, batchSize?: number): Promise<number>;
}
const reminders = () => env.app.strapi.plugin('invoice-payments').service('reminders') as unknown as RemindersApi;

beforeAll(async () => {
  env = await bootPayments({
    env: { REMINDERS_INTERVAL_MS: '1000', NOTICE_RETRY_AFTER_MS: '600' },
    settings: {
      reminders: {
        enabled: true,
        beforeDays: [3],
        onDueDate: true,
        afterDays: [7, 14],
        timeZone: 'Europe/Amsterdam',
        sendHour: 9,
      },
    },
  });
});
afterAll(async () => {
  reminders()?.setClock(null);
  await env?.close();
});

const api = (method: 'get' | 'put', path: string, body?: unknown) => {
  const req = env.app.http()[method](`/invoice-payments${path}`).set(env.admin.auth);
  return body === undefined ? req : req.send(body as object);
};
const mailsTo = (email: string) => env.smtp.mails.filter((m) => m.to.includes(email));
/** The message as sent, quoted-printable soft line breaks joined (long links are folded). */
const unfolded = (raw: string) => raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');

/** A sent invoice due on `dueDate` (sent to the client long before), for `email`. */
async function dueInvoice(email: string, dueDate: string) {
  const inv = await payableInvoice(env, { billingEmail: email });
  await env.app.strapi.db.query(INVOICE).update({
    where: { id: inv.row.id },
    data: { dueDate, sentAt: new Date(`${dueDate.slice(0, 4)}-01-01T00:00:00Z`) },
  });
  return inv;
}

it('the cron sends each reminder once, at 09:00 Amsterdam time, with the pay link; a second run that minute sends nothing', async () => {
  const email = 'reminders-cron@example.test';
  const inv = await dueInvoice(email, '2031-03-20');
  const steps: Array<[string, string, RegExp]> = [
    // 09:00 in Amsterdam is 08:00 UTC in winter (CET) and 07:00 UTC from 30 March (CEST).
    ['2031-03-17T08:00:30Z', 'before-3', /^Reminder: invoice .* is due on March 20, 2031$/],
    ['2031-03-20T08:00:30Z', 'due', /^Invoice .* is due today$/],
    ['2031-03-27T08:00:30Z', 'after-7', /^Overdue: invoice .* was due on March 20, 2031$/],
    ['2031-04-03T07:00:30Z', 'after-14', /^Overdue: invoice .* was due on March 20, 2031$/],
  ];
  try {
    // One minute before the first reminder: the cron finds nothing.
    const early = new Date('2031-03-17T07:59:00Z');
    reminders().setClock(() => early);
    await expect(reminders().runDue(early)).resolves.toBe(0);
    for (const [index, [iso, key, subject]] of steps.entries()) {
      const now = new Date(iso);
      reminders().setClock(() => now);
      // The cron job (every second here) picks it up with the fake clock.
      const mails = await eventually(
        async () => mailsTo(email),
        (m) => m.length === index + 1,
        10_000,
        `reminder ${key} emailed`,
      );
      const mail = mails[index]!;
      expect(mail.subject).toMatch(subject);
      expect(unfolded(mail.raw)).toContain(`/invoice-payments/pay/${inv.token}`);
      expect(mail.raw).toMatch(new RegExp(`^Message-ID: <invoice-payments\\.reminder\\.\\d+\\.\\d+@`, 'mi'));
      // The same minute again, on this instance (the cron's next tick does the same): nothing.
      await expect(reminders().runDue(now)).resolves.toBe(0);
      await expect(reminders().runDue(new Date(now.getTime() + 20_000))).resolves.toBe(0);
      await waitForIdle(env.app.strapi);
      expect(mailsTo(email)).toHaveLength(index + 1);
    }
    // After the last one: nothing more, ever.
    const later = new Date('2031-06-01T08:00:00Z');
    reminders().setClock(() => later);
    await expect(reminders().runDue(later)).resolves.toBe(0);
  } finally {
    reminders().setClock(null);
  }
  await waitForIdle(env.app.strapi);
  expect(mailsTo(email).map((m) => m.subject)).toHaveLength(4);

  const rows = await env.app.strapi.db.query(REMINDER).findMany({ where: { invoiceId: inv.row.id } });
  expect(rows.map((r: { reminderKey: string }) => r.reminderKey).sort()).toEqual(
    ['after-14', 'after-7', 'before-3', 'due'].sort(),
  );
  const audit = await env.app.strapi.db
    .query(AUDIT)
    .findMany({ where: { invoiceDocumentId: inv.documentId, action: 'reminder.sent' }, orderBy: { id: 'asc' } });
  expect(audit.map((a: { details: { reminder: string } }) => a.details.reminder)).toEqual([
    'before-3',
    'due',
    'after-7',
    'after-14',
  ]);
  expect(audit[0]).toMatchObject({ actorType: 'system', details: { to: email, kind: 'before', days: -3 } });

  // The invoice page: the history, and no next reminder once the last one went out.
  const res = await api('get', `/invoices/${inv.documentId}/reminders`);
  expect(res.status).toBe(200);
  expect(res.body.data).toMatchObject({ enabled: true, settingsEnabled: true, next: null, reason: 'none_left' });
  expect(res.body.data.history.map((h: { key: string; status: string }) => [h.key, h.status])).toEqual([
    ['before-3', 'sent'],
    ['due', 'sent'],
    ['after-7', 'sent'],
    ['after-14', 'sent'],
  ]);
});

it('two instances running the cron at the same minute: one email per invoice', async () => {
  const emails = Array.from({ length: 6 }, (_, i) => `reminders-two-${i}@example.test`);
  const invoices = [];
  for (const email of emails) invoices.push(await dueInvoice(email, '2032-05-10'));
  const instanceA = reminders();
  const instanceB = remindersService({ strapi: env.app.strapi }) as unknown as RemindersApi;
  const now = new Date('2032-05-10T07:00:05Z'); // 09:00:05 in Amsterdam (CEST)
  // Small batches on two of the runs: every invoice is reached, not only the first batch.
  const claimed = await Promise.all([
    instanceA.runDue(now),
    instanceB.runDue(now, 2),
    instanceB.runDue(new Date(now.getTime() + 1000)),
    instanceA.runDue(new Date(now.getTime() + 2000), 4),
  ]);
  expect(claimed.reduce((a, b) => a + b, 0)).toBe(emails.length);
  await waitForIdle(env.app.strapi);
  for (const email of emails)
    expect(mailsTo(email).map((m) => m.subject)).toEqual([expect.stringMatching(/due today/)]);
  const rows = await env.app.strapi.db
    .query(REMINDER)
    .findMany({ where: { invoiceId: { $in: invoices.map((i) => i.row.id) } } });
  expect(rows).toHaveLength(emails.length);
  const notices = await env.app.strapi.db
    .query(NOTICE)
    .findMany({ where: { reminderId: { $in: rows.map((r: { id: number }) => r.id) } } });
  expect(notices.map((n: { status: string }) => n.status)).toEqual(emails.map(() => 'sent'));
});

interface OutboxApi {
  sendQueued(row: { id: number }): Promise<void>;
  sendDue(limit?: number): Promise<number>;
}
const outbox = () => env.app.strapi.plugin('invoice-payments').service('notifications') as unknown as OutboxApi;
const noticeOf = async (invoiceId: number) => {
  const reminder = await env.app.strapi.db.query(REMINDER).findOne({ where: { invoiceId } });
  return reminder ? env.app.strapi.db.query(NOTICE).findOne({ where: { reminderId: reminder.id } }) : null;
};

// The two interleavings behind a second "due today" email seen on a loaded machine, made
// deterministic: the instance that claimed a reminder is late to send it, and the outbox worker
// (whose delay, NOTICE_RETRY_AFTER_MS, is 600 ms here) finds the email still due.
it('an instance held up between claiming a reminder and sending it: the worker sends it, the instance then sends nothing', async () => {
  const email = 'reminders-stalled-owner@example.test';
  const inv = await dueInvoice(email, '2037-04-10');
  const service = outbox();
  const sendQueued = service.sendQueued;
  // The claiming process stalls (a loaded machine, a long GC pause) right after its claim committed,
  // until the outbox worker has sent the email.
  service.sendQueued = async (row) => {
    await eventually(
      () => env.app.strapi.db.query(NOTICE).findOne({ where: { id: row.id } }),
      (n) => n?.status === 'sent',
      15_000,
      'the outbox worker sending the stalled reminder',
    );
    return sendQueued.call(service, row);
  };
  try {
    await expect(reminders().runDue(new Date('2037-04-10T07:00:05Z'))).resolves.toBe(1);
  } finally {
    service.sendQueued = sendQueued;
  }
  await waitForIdle(env.app.strapi);
  expect(mailsTo(email).map((m) => m.subject)).toEqual([expect.stringMatching(/due today/)]);
  expect(await noticeOf(inv.row.id)).toMatchObject({ status: 'sent', attempts: 1 });
});

it('a reminder still with the mail server when its outbox delay passes: the worker leaves it to the instance sending it', async () => {
  const email = 'reminders-slow-smtp@example.test';
  const inv = await dueInvoice(email, '2038-04-10');
  const mailer = env.app.strapi.plugin('email').service('email') as { send(options: { to: string }): Promise<unknown> };
  const send = mailer.send;
  let handingOff!: () => void;
  const inHandOff = new Promise<void>((resolve) => (handingOff = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let first = true;
  // The mail server holds the first message until the test lets it go.
  mailer.send = async (options) => {
    if (options.to === email && first) {
      first = false;
      handingOff();
      await released;
    }
    return send.call(mailer, options);
  };
  try {
    const run = reminders().runDue(new Date('2038-04-10T07:00:05Z'));
    await inHandOff;
    // The row's first outbox delay passes while the email is still being handed off: its sender
    // renews it meanwhile (notifications keepLease), so another instance's worker cannot claim it...
    const claimed = await noticeOf(inv.row.id);
    const firstLease = new Date(claimed!.dueAt!).getTime();
    await eventually(
      () => noticeOf(inv.row.id),
      (n) => Date.now() > firstLease && n !== null && n.dueAt !== null && new Date(n.dueAt).getTime() > Date.now(),
      10_000,
      'the reminder being sent past its first outbox delay, with its lease renewed',
    );
    // ...and this process's worker runs (its timer may have run it too): nothing to send.
    await outbox().sendDue();
    expect(mailsTo(email)).toHaveLength(0);
    release();
    await expect(run).resolves.toBe(1);
  } finally {
    release();
    mailer.send = send;
  }
  await waitForIdle(env.app.strapi);
  expect(mailsTo(email).map((m) => m.subject)).toEqual([expect.stringMatching(/due today/)]);
  expect(await noticeOf(inv.row.id)).toMatchObject({ status: 'sent' });
});

it('switched off for one invoice (invoice page or Content Manager): no reminder; on again: the next one comes', async () => {
  const off = await dueInvoice('reminders-off@example.test', '2033-02-10');
  const cm = await dueInvoice('reminders-off-cm@example.test', '2033-02-10');
  await dueInvoice('reminders-on@example.test', '2033-02-10');

  // Bad input: a 400 saying what to send, nothing changed.
  const bad = await api('put', `/invoices/${off.documentId}/reminders`, { enabled: 'no' });
  expect(bad.status).toBe(400);
  expect(bad.body.error.message).toMatch(/true or false/);
  expect((await api('put', `/invoices/${off.documentId}/reminders`, { enabled: false, extra: 1 })).status).toBe(400);
  expect((await api('put', `/invoices/nope/reminders`, { enabled: false })).status).toBe(404);
  expect((await readInvoice(env, off.documentId)).remindersEnabled).not.toBe(false);

  const res = await api('put', `/invoices/${off.documentId}/reminders`, { enabled: false });
  expect(res.status).toBe(200);
  expect(res.body.data).toMatchObject({ enabled: false, next: null, reason: 'switched_off' });
  // The Content Manager writes the same field through the document service.
  await env.app.strapi
    .documents(INVOICE)
    .update({ documentId: cm.documentId, data: { remindersEnabled: false } as never });
  expect((await readInvoice(env, cm.documentId)).remindersEnabled).toBe(false);

  const now = new Date('2033-02-07T08:00:00Z'); // 3 days before, 09:00 Amsterdam
  await reminders().runDue(now);
  await waitForIdle(env.app.strapi);
  expect(mailsTo('reminders-off@example.test')).toHaveLength(0);
  expect(mailsTo('reminders-off-cm@example.test')).toHaveLength(0);
  expect(mailsTo('reminders-on@example.test')).toHaveLength(1);

  const audit = await env.app.strapi.db
    .query(AUDIT)
    .findMany({ where: { invoiceDocumentId: off.documentId, action: 'invoice.reminders_off' } });
  expect(audit).toHaveLength(1);

  // Back on (the page reads the real clock: every reminder is still to come); on the due date the
  // due-date reminder comes, the one missed while off does not.
  expect((await api('put', `/invoices/${off.documentId}/reminders`, { enabled: true })).body.data).toMatchObject({
    enabled: true,
    next: { key: 'before-3', kind: 'before', days: -3, date: '2033-02-07', at: '2033-02-07T08:00:00.000Z' },
  });
  await reminders().runDue(new Date('2033-02-10T08:00:00Z'));
  await waitForIdle(env.app.strapi);
  expect(mailsTo('reminders-off@example.test').map((m) => m.subject)).toEqual([expect.stringMatching(/due today/)]);
  expect(mailsTo('reminders-off-cm@example.test')).toHaveLength(0);
});

it('paid (balance zero), void and draft invoices get none; one paid after its reminder was queued is skipped', async () => {
  const paid = await dueInvoice('reminders-paid@example.test', '2034-06-10');
  const voided = await dueInvoice('reminders-void@example.test', '2034-06-10');
  const draft = await dueInvoice('reminders-draft@example.test', '2034-06-10');
  await env.app.strapi.db.query(INVOICE).update({ where: { id: draft.row.id }, data: { state: 'draft' } });
  const manual = await env.app
    .http()
    .post(`/invoice-payments/invoices/${paid.documentId}/manual-payments`)
    .set(env.admin.auth)
    .send({ method: 'wire' });
  expect(manual.status).toBeLessThan(300);
  expect((await readInvoice(env, paid.documentId)).state).toBe('paid');
  const voidRes = await env.app
    .http()
    .post(`/invoice-payments/invoices/${voided.documentId}/void`)
    .set(env.admin.auth)
    .send({ reason: 'wrong client' });
  expect(voidRes.status).toBe(200);

  const now = new Date('2034-06-10T07:00:00Z');
  await expect(reminders().runDue(now)).resolves.toBe(0);
  await waitForIdle(env.app.strapi);
  for (const who of ['paid', 'void', 'draft']) expect(mailsTo(`reminders-${who}@example.test`)).toHaveLength(0);
  expect((await api('get', `/invoices/${paid.documentId}/reminders`)).body.data).toMatchObject({
    next: null,
    reason: 'paid',
  });

  // Claimed while the mail server is down, paid before the outbox retries: skipped, never sent.
  const late = await dueInvoice('reminders-late@example.test', '2034-06-10');
  env.smtp.failing(true);
  try {
    await expect(reminders().runDue(now)).resolves.toBe(1);
    await eventually(
      () => env.app.strapi.db.query(REMINDER).findOne({ where: { invoiceId: late.row.id } }),
      (r) => r !== null,
    );
    const manualLate = await env.app
      .http()
      .post(`/invoice-payments/invoices/${late.documentId}/manual-payments`)
      .set(env.admin.auth)
      .send({ method: 'wire' });
    expect(manualLate.status).toBeLessThan(300);
  } finally {
    env.smtp.failing(false);
  }
  // The outbox retries after NOTICE_RETRY_AFTER_MS: the notice ends skipped.
  const row = await env.app.strapi.db.query(REMINDER).findOne({ where: { invoiceId: late.row.id } });
  await eventually(
    () => env.app.strapi.db.query(NOTICE).findOne({ where: { reminderId: row.id } }),
    (n) => n?.status === 'skipped',
    15_000,
  );
  await waitForIdle(env.app.strapi, 15_000);
  expect(mailsTo('reminders-late@example.test').filter((m) => /reminder|due|Overdue/i.test(m.subject))).toHaveLength(0);
  const skipped = await env.app.strapi.db
    .query(AUDIT)
    .findMany({ where: { invoiceDocumentId: late.documentId, action: 'reminder.skipped' } });
  expect(skipped).toHaveLength(1);
  expect(skipped[0].details).toMatchObject({ reminder: 'due', why: 'paid' });
});

it('reminders off in the settings: none; the settings refuse bad offsets and time zones with a 400', async () => {
  const inv = await dueInvoice('reminders-global-off@example.test', '2035-01-10');
  const put = (reminders: unknown) =>
    env.app.http().put('/invoice-payments/settings').set(env.admin.auth).send({ reminders });
  const base = { enabled: false, beforeDays: [3], onDueDate: true, afterDays: [7, 14], timeZone: 'UTC', sendHour: 9 };
  for (const bad of [
    { ...base, beforeDays: [0] },
    { ...base, afterDays: [7, 7] },
    { ...base, timeZone: 'Mars/Olympus' },
    { ...base, sendHour: 24 },
    { enabled: false },
  ]) {
    const res = await put(bad);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/reminders\./);
  }
  const saved = await put(base);
  expect(saved.status).toBe(200);
  expect(saved.body.data.reminders).toEqual(base);
  try {
    await expect(reminders().runDue(new Date('2035-01-10T09:00:00Z'))).resolves.toBe(0);
    await waitForIdle(env.app.strapi);
    expect(mailsTo('reminders-global-off@example.test')).toHaveLength(0);
    expect((await api('get', `/invoices/${inv.documentId}/reminders`)).body.data).toMatchObject({
      settingsEnabled: false,
      next: null,
      reason: 'reminders_off',
    });
  } finally {
    await put({ ...base, enabled: true, timeZone: 'Europe/Amsterdam' });
  }
});

it('one run reaches every invoice in the window, batch after batch (those already reminded stay open)', async () => {
  const emails = Array.from({ length: 5 }, (_, i) => `reminders-batch-${i}@example.test`);
  for (const email of emails) await dueInvoice(email, '2036-09-10');
  const now = new Date('2036-09-10T07:00:05Z');
  // Batches of 2: the first batch's invoices are still candidates, yet the run goes on to the rest.
  await expect(reminders().runDue(now, 2)).resolves.toBe(emails.length);
  await expect(reminders().runDue(now, 2)).resolves.toBe(0);
  await waitForIdle(env.app.strapi);
  for (const email of emails) expect(mailsTo(email)).toHaveLength(1);
});
