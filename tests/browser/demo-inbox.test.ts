import net from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { launchBrowser, screenshot } from '../support/browser';
import { bootPayments, eventually, payableInvoice, type PaymentsEnv } from '../support/payments';
import { pdfToText } from '../support/pdf';
import { startMailCatcher } from '../../scripts/mail-catcher';
import type { Browser } from 'playwright-core';

/**
 * The demo's inbox (`npm run demo`): the same maildev the demo starts (scripts/mail-catcher.js),
 * Strapi's email plugin pointed at it as the demo does (SMTP_HOST/SMTP_PORT), "Send invoice"
 * from the admin API, and the email read in maildev's web inbox in Chromium: its PDF attached,
 * its Pay button there.
 */
jest.setTimeout(90_000);

interface MaildevEmail {
  id: string;
  subject: string;
  html: string;
  text: string;
  to: Array<{ address: string }>;
  attachments?: Array<{ fileName?: string; generatedFileName?: string; contentType: string; contentId?: string }>;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

let env: PaymentsEnv;
let child: ChildProcess;
let inbox: string;
let browser: Browser;

beforeAll(async () => {
  const [smtpPort, webPort] = [await freePort(), await freePort()];
  const mail = startMailCatcher({ smtpPort, webPort, stdio: 'ignore' });
  if (!mail) throw new Error('maildev is not installed (a devDependency): run npm ci');
  child = mail.child;
  // The URL `npm run demo` prints.
  inbox = mail.url;
  await mail.ready;
  env = await bootPayments({ env: { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(smtpPort) } });
  browser = await launchBrowser();
}, 120_000);
afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await env?.close();
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}, 60_000);

it('the inbox URL the demo prints answers a plain GET (as curl sends it) with the inbox page', async () => {
  expect(inbox).toBe(`http://localhost:${new URL(inbox).port}`);
  // Node's fetch sends `Accept: */*`, as curl does: maildev alone answers that with a JSON 404.
  const res = await fetch(inbox);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  const html = await res.text();
  expect(html).toContain('<title>MailDev</title>');
  expect(html).toContain('<div id="root"></div>');
  // The API beside it is maildev's own, unchanged.
  const api = await fetch(`${inbox}/api/email`);
  expect(api.status).toBe(200);
  expect(api.headers.get('content-type')).toMatch(/^application\/json/);
});

it('"Send invoice" lands in the inbox with the PDF attached and the Pay button', async () => {
  const inv = await payableInvoice(env, { billingEmail: 'newcomer@example.test', billingName: 'A Newcomer' });
  const sent = await env.app
    .http()
    .post(`/invoice-payments/invoices/${inv.documentId}/send`)
    .set(env.admin.auth)
    .send({});
  expect(sent.status).toBe(200);

  const [email] = await eventually(
    async () => (await (await fetch(`${inbox}/api/email`)).json()) as MaildevEmail[],
    (list) => list.some((m) => m.subject.includes(inv.row.number)),
    10_000,
  ).then((list) => list.filter((m) => m.subject.includes(inv.row.number)));
  expect(email!.to.map((t) => t.address)).toEqual(['newcomer@example.test']);
  expect(email!.html).toMatch(/>Pay online \$1,827\.50<\/a>/);
  expect(email!.text).toMatch(/Pay online \$1,827\.50: http/);
  const pdf = email!.attachments?.find((a) => a.contentType === 'application/pdf');
  expect(pdf).toBeDefined();
  const name = pdf!.generatedFileName ?? pdf!.fileName!;
  const file = await fetch(`${inbox}/api/email/${email!.id}/attachment/${encodeURIComponent(name)}`);
  expect(file.status).toBe(200);
  expect(pdfToText(Buffer.from(await file.arrayBuffer()))).toContain(inv.row.number);

  // The newcomer's view: the web inbox, the email opened.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(inbox);
  const item = page.getByText(`Invoice ${inv.row.number}`).first();
  await item.waitFor({ timeout: 15_000 });
  await item.click();
  await page
    .frameLocator('iframe')
    .first()
    .getByRole('link', { name: 'Pay online $1,827.50' })
    .waitFor({ timeout: 15_000 });
  await screenshot(page, 'demo', 'inbox-invoice-email');
  await context.close();
});
