import { createHash } from 'node:crypto';
import request from 'supertest';
import {
  bootPayments,
  eventually,
  payableInvoice,
  payWith,
  readInvoice,
  PAYMENT,
  type PaymentsEnv,
} from '../support/payments';
import { createInvoice } from '../support/invoices';
import { mimeParts } from '../support/smtp';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { asBytes, pdfToPng, pdfToText, solidPng } from '../support/pdf';

/**
 * Invoice PDFs, receipts and seller branding through the real routes: the pay-link token, the
 * customer's JWT and the admin session authorise them as they do the page they belong to; other
 * clients' invoices are never served. The PDFs are read back with pdftotext.
 */
let env: PaymentsEnv;

beforeAll(async () => {
  env = await bootPayments();
});
afterAll(async () => {
  await env?.close();
});

const http = () => env.app.http();
const getPdf = (url: string, headers: Record<string, string> = {}) =>
  http().get(url).set(headers).buffer(true).parse(asBytes);
const docs = () => env.app.strapi.plugin('invoice-payments').service('documents') as { cachedCount(): number };
const payUrl = (token: string) => `/invoice-payments/pay/${token}`;

async function payInFull(inv: { documentId: string; token: string }) {
  const res = await http()
    .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
    .send({ token: inv.token });
  expect(res.status).toBe(200);
  await payWith(env, res.body.data.providerPaymentId as string, 'pm_card_visa');
  await eventually(
    () => readInvoice(env, inv.documentId),
    (i) => i.state === 'paid',
  );
  // The ledger learns the method with the charge (it may come with a later event than the payment).
  return eventually(
    () => env.app.strapi.db.query(PAYMENT).findOne({ where: { invoice: { documentId: inv.documentId } } }),
    (p) => p?.method === 'card',
  );
}

describe('invoice PDF on the pay link', () => {
  it('has the seller-neutral invoice: number, lines, totals, balance, pay link; a repeat is served from the cache', async () => {
    const inv = await payableInvoice(env, {
      billingName: 'Grace Hopper',
      lineItems: [
        { description: 'Compiler design', quantity: 2, unitAmount: 50000 },
        { description: 'Debugging (moth removal)', quantity: 1, unitAmount: 82750 },
      ],
      taxRateBps: 1000,
    });
    const res = await getPdf(`${payUrl(inv.token)}/invoice.pdf`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="invoice-[A-Za-z0-9._-]+\.pdf"$/);
    expect(res.headers['cache-control']).toBe('private, no-store');
    const text = pdfToText(res.body as Buffer);
    expect(text).toContain(inv.row.number);
    expect(text).toContain('Grace Hopper');
    expect(text).toMatch(/Compiler design\s+2\s+\$500\.00\s+\$1,000\.00/);
    expect(text).toMatch(/Tax \(10%\)\s+\$182\.75/);
    expect(text).toMatch(/Total\s+\$2,010\.25/);
    expect(text).toMatch(/Amount paid\s+\$0\.00/);
    expect(text).toMatch(/Balance due\s+\$2,010\.25/);
    expect(text.replace(/\s+/g, '')).toContain(`/invoice-payments/pay/${inv.token}`);

    const cached = docs().cachedCount();
    const again = await getPdf(`${payUrl(inv.token)}/invoice.pdf`);
    expect(docs().cachedCount()).toBe(cached);
    expect(
      createHash('sha256')
        .update(again.body as Buffer)
        .digest('hex'),
    ).toBe(
      createHash('sha256')
        .update(res.body as Buffer)
        .digest('hex'),
    );
  });

  it('a client and lines in Chinese, Japanese, Korean, Arabic and Hebrew are printed as written, never "?"', async () => {
    const lines = [
      '咨询服务：需求分析和系统设计',
      'ソフトウェア保守（月額）',
      '김민준 컨설팅 서비스',
      'خدمات استشارية لشهر نوفمبر',
      'שירותי ייעוץ חודשיים',
    ];
    const inv = await payableInvoice(env, {
      billingName: '山田太郎株式会社',
      lineItems: lines.map((description, i) => ({ description, quantity: 1, unitAmount: 10000 * (i + 1) })),
    });
    const res = await getPdf(`${payUrl(inv.token)}/invoice.pdf`);
    expect(res.status).toBe(200);
    const raw = (res.body as Buffer).toString('latin1');
    expect(raw).toMatch(/\/BaseFont \/[A-Z]{6}\+NotoSansHans-Regular/);
    expect(raw).toMatch(/\/BaseFont \/[A-Z]{6}\+NotoSansKR-Regular/);
    expect(raw).toMatch(/\/BaseFont \/[A-Z]{6}\+DejaVuSans/);
    const text = pdfToText(res.body as Buffer);
    expect(text).toContain('山田太郎株式会社');
    for (const line of lines) expect(text).toContain(line);
    expect(text).toMatch(/咨询服务：需求分析和系统设计\s+1\s+\$100\.00\s+\$100\.00/);
    expect(text).not.toContain('?');
    // To look at: the Arabic and Hebrew lines right to left and joined, the CJK in its font.
    const dir = path.resolve(__dirname, '..', 'artifacts', 'pdf');
    mkdirSync(dir, { recursive: true });
    pdfToPng(res.body as Buffer, path.join(dir, 'invoice-cjk-rtl-page-1.png'), 1, 100);
  });

  it('a new version after a payment: paid amount and zero balance, and a receipt for the payment', async () => {
    const inv = await payableInvoice(env, { billingEmail: 'receipt@example.test' });
    const before = pdfToText((await getPdf(`${payUrl(inv.token)}/invoice.pdf`)).body as Buffer);
    expect(before).toMatch(/Balance due\s+\$1,827\.50/);
    const payment = await payInFull(inv);

    const after = pdfToText((await getPdf(`${payUrl(inv.token)}/invoice.pdf`)).body as Buffer);
    expect(after).toMatch(/Amount paid\s+\$1,827\.50/);
    expect(after).toMatch(/Balance due\s+\$0\.00/);
    // Paid: no pay link or QR code on it any more.
    expect(after).not.toContain(`/pay/${inv.token}`);

    // The pay page's JSON lists the receipt; the confirmation email links it.
    const view = await http().get(`/api/invoice-payments/pay/${inv.token}`);
    // Paths under the pay link: the JSON never carries the token itself.
    expect(view.body.data.documents).toEqual({
      pdf: 'invoice.pdf',
      receipts: [
        { label: expect.stringMatching(/^Receipt: \$1,827\.50, /), file: `receipts/${payment.documentId}.pdf` },
      ],
    });
    expect(JSON.stringify(view.body)).not.toContain(inv.token);
    const page = await http().get(payUrl(inv.token));
    expect(page.text).toContain(`href="/invoice-payments/pay/${inv.token}/receipts/${payment.documentId}.pdf"`);
    const mail = await eventually(
      async () => env.smtp.mails.find((m) => m.to.includes('receipt@example.test')),
      (m) => m !== undefined,
    );
    const parts = mimeParts(mail!.raw);
    const html = parts.find((p) => p.contentType === 'text/html')!.body.toString('utf8');
    const plain = parts.find((p) => p.contentType === 'text/plain')!.body.toString('utf8');
    const receiptPath = `/invoice-payments/pay/${inv.token}/receipts/${payment.documentId}.pdf`;
    expect(html).toContain(receiptPath);
    expect(plain).toContain(receiptPath);
    expect(plain).toMatch(/Amount paid: \$1,827\.50/);

    const receipt = await getPdf(receiptPath);
    expect(receipt.status).toBe(200);
    const r = pdfToText(receipt.body as Buffer);
    expect(r).toMatch(/Receipt/);
    expect(r).toMatch(/Amount paid\s+\$1,827\.50/);
    expect(r).toMatch(/Payment method\s+Card/);
    // The brand and last four digits from the charge's payment_method_details.card.
    expect(r).toMatch(/Card \/ bank\s+Visa •••• 4242/);
    expect(r).toContain(payment.providerPaymentId);
    expect(r).toMatch(/Remaining balance\s+\$0\.00/);
    expect(r).toContain(inv.row.number);
  });
});

describe('authorisation: never another client’s invoice', () => {
  it('an unknown or malformed token, or a receipt of another invoice, is the same 404 page and no PDF', async () => {
    const mine = await payableInvoice(env);
    const theirs = await payableInvoice(env, { billingEmail: 'other@example.test' });
    const theirPayment = await payInFull(theirs);
    const answers = await Promise.all([
      getPdf(`/invoice-payments/pay/${'A'.repeat(32)}/invoice.pdf`),
      getPdf(`/invoice-payments/pay/${mine.token.toLowerCase()}x/invoice.pdf`),
      getPdf(`/invoice-payments/pay/%3Cscript%3E/invoice.pdf`),
      getPdf(`${payUrl(mine.token)}/receipts/${theirPayment.documentId}.pdf`),
      getPdf(`${payUrl(mine.token)}/receipts/../../${theirs.token}/invoice.pdf`),
      getPdf(`${payUrl(mine.token)}/receipts/not-a-payment.pdf`),
    ]);
    for (const res of answers) {
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).not.toMatch(/pdf/);
      expect(String(res.body)).not.toContain(theirs.row.number);
    }
    // A token's case matters (MySQL/MariaDB collations compare case-insensitively).
    const swapped = mine.token.replace(/[a-z]/, (c) => c.toUpperCase());
    if (swapped !== mine.token) expect((await getPdf(`${payUrl(swapped)}/invoice.pdf`)).status).toBe(404);
  });

  it('the customer API serves the owner’s PDF only; the admin route needs an admin', async () => {
    const up = env.app.strapi.plugin('users-permissions');
    const role = await env.app.strapi.db
      .query('plugin::users-permissions.role')
      .findOne({ where: { type: 'authenticated' } });
    const mk = (name: string) =>
      env.app.strapi.db.query('plugin::users-permissions.user').create({
        data: { username: name, email: `${name}@example.test`, provider: 'local', confirmed: true, role: role.id },
      });
    const owner = await mk(`pdfowner${Date.now()}`);
    const stranger = await mk(`pdfstranger${Date.now()}`);
    const jwt = (id: number) => ({ Authorization: `Bearer ${up.service('jwt').issue({ id })}` });
    const created = await createInvoice(env.app.strapi, { customer: owner.id });
    const url = `/api/invoice-payments/invoices/${created.documentId}/pdf`;

    const asOwner = await getPdf(url, jwt(owner.id));
    expect(asOwner.status).toBe(200);
    expect(pdfToText(asOwner.body as Buffer)).toContain(created.number);
    for (const res of [await getPdf(url, jwt(stranger.id)), await getPdf(url)]) {
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/json/);
    }

    const adminUrl = `/invoice-payments/invoices/${created.documentId}/pdf`;
    expect((await getPdf(adminUrl)).status).toBe(401);
    expect((await getPdf(adminUrl, jwt(owner.id))).status).toBe(401);
    const asAdmin = await getPdf(adminUrl, env.admin.auth);
    expect(asAdmin.status).toBe(200);
    expect(pdfToText(asAdmin.body as Buffer)).toContain(created.number);
    expect((await getPdf('/invoice-payments/invoices/nosuchinvoice000000/pdf', env.admin.auth)).status).toBe(404);
  });
});

describe('seller branding', () => {
  it('refuses a bad colour or a logo that is not an image of the media library, saving nothing', async () => {
    const put = (branding: unknown) => http().put('/invoice-payments/settings').set(env.admin.auth).send({ branding });
    const before = (await http().get('/invoice-payments/settings').set(env.admin.auth)).body.data.branding;
    for (const [branding, message] of [
      [{ accentColor: 'red; background:url(x)' }, /#1f6feb/],
      [{ logoFileId: 987654 }, /not in the media library/],
      [{ name: 'x'.repeat(121) }, /at most 120/],
      [{ unknown: 1 }, /unrecognized|Unrecognized/],
    ] as const) {
      const res = await put(branding);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(message);
    }
    expect((await http().get('/invoice-payments/settings').set(env.admin.auth)).body.data.branding).toEqual(before);
  });

  it('name, address, tax id, logo, accent and footer on the pay page, the PDF and the email; cleared → neutral', async () => {
    // The logo comes from Strapi's media library, uploaded as an admin does.
    const upload = await request(env.app.strapi.server.httpServer)
      .post('/upload')
      .set(env.admin.auth)
      .attach('files', solidPng(120, 40, 0x1f6feb), { filename: 'logo.png', contentType: 'image/png' });
    expect(upload.status).toBe(201);
    const logoId = upload.body[0].id as number;
    const saved = await http()
      .put('/invoice-payments/settings')
      .set(env.admin.auth)
      .send({
        branding: {
          name: 'Analytical Engines Ltd',
          address: '12 St James’s Square\nLondon SW1Y 4JH',
          taxId: 'GB123456789',
          logoFileId: logoId,
          accentColor: '#1F6FEB',
          footerText: 'Registered in England No. 1843',
          paymentInstructions: 'Bank transfer: IBAN GB29 NWBK 6016 1331 9268 19',
        },
      });
    expect(saved.status).toBe(200);
    expect(saved.body.data.branding).toMatchObject({ accentColor: '#1f6feb', logoFileId: logoId });

    const inv = await payableInvoice(env, { billingEmail: 'branded@example.test' });
    const page = await http().get(payUrl(inv.token));
    expect(page.status).toBe(200);
    expect(page.text).toContain('Analytical Engines Ltd');
    expect(page.text).toContain('Tax id: GB123456789');
    expect(page.text).toContain('Registered in England No. 1843');
    const logoUrl = /<img class="seller-logo" src="([^"]+)"/.exec(page.text)![1]!;
    const styleUrl = /<link rel="stylesheet" href="(\/invoice-payments\/pay\/brand\/style\.css[^"]+)"/.exec(
      page.text,
    )![1]!;
    const logo = await getPdf(logoUrl.replace(/&amp;/g, '&'));
    expect(logo.status).toBe(200);
    expect(logo.headers['content-type']).toBe('image/png');
    expect((logo.body as Buffer).subarray(1, 4).toString()).toBe('PNG');
    expect((await http().get(styleUrl.replace(/&amp;/g, '&'))).text).toContain('--accent:#1f6feb');
    // Back from Checkout (cancelled here): the same seller block, colour and footer as the pay page.
    const cancel = await http().get(`/invoice-payments/pay/cancel?invoice=${inv.documentId}`);
    expect(cancel.status).toBe(200);
    expect(cancel.text).toContain('<strong class="seller-name">Analytical Engines Ltd</strong>');
    expect(cancel.text).toContain(`src="${logoUrl}"`);
    expect(cancel.text).toContain(`href="${styleUrl}"`);
    expect(cancel.text).toContain('Registered in England No. 1843');

    const pdf = pdfToText((await getPdf(`${payUrl(inv.token)}/invoice.pdf`)).body as Buffer);
    expect(pdf).toContain('Analytical Engines Ltd');
    expect(pdf).toContain('Tax id: GB123456789');
    expect(pdf).toContain('IBAN GB29 NWBK 6016 1331 9268 19');
    expect(pdf).toContain('Registered in England No. 1843');

    // "Send invoice": branded HTML and text, the logo inline (cid:), the PDF attached, the Pay button kept.
    const sent = await http().post(`/invoice-payments/invoices/${inv.documentId}/send`).set(env.admin.auth).send({});
    expect(sent.status).toBe(200);
    const mail = await eventually(
      async () => env.smtp.mails.find((m) => m.to.includes('branded@example.test')),
      (m) => m !== undefined,
    );
    const parts = mimeParts(mail!.raw);
    const html = parts.find((p) => p.contentType === 'text/html')!.body.toString('utf8');
    const plain = parts.find((p) => p.contentType === 'text/plain')!.body.toString('utf8');
    expect(html).toContain('Analytical Engines Ltd');
    expect(html).toMatch(/<img src="cid:([^"]+)"/);
    expect(html).not.toMatch(/<img[^>]+src="https?:/);
    expect(html).toMatch(
      new RegExp(`<a href="[^"]*/invoice-payments/pay/${inv.token}"[^>]*>Pay online \\$1,827\\.50</a>`),
    );
    expect(plain).toContain('Analytical Engines Ltd');
    expect(plain).toMatch(new RegExp(`Pay online \\$1,827\\.50: \\S+/invoice-payments/pay/${inv.token}`));
    const cid = /<img src="cid:([^"]+)"/.exec(html)![1];
    const inline = parts.find((p) => p.contentId === cid);
    expect(inline?.contentType).toBe('image/png');
    const attached = parts.find((p) => p.contentType === 'application/pdf');
    expect(attached?.filename).toMatch(/^invoice-.+\.pdf$/);
    const attachedText = pdfToText(attached!.body);
    expect(attachedText).toContain(inv.row.number);
    expect(attachedText).toMatch(/Total\s+\$1,827\.50/);
    expect(attachedText).toContain('Analytical Engines Ltd');

    // Cleared: the neutral look again, on the page and in the PDF.
    const cleared = await http()
      .put('/invoice-payments/settings')
      .set(env.admin.auth)
      .send({
        branding: {
          name: '',
          address: '',
          taxId: '',
          logoFileId: null,
          accentColor: '',
          footerText: '',
          paymentInstructions: '',
        },
      });
    expect(cleared.status).toBe(200);
    const neutral = await http().get(payUrl(inv.token));
    expect(neutral.text).not.toContain('Analytical Engines Ltd');
    expect(neutral.text).not.toContain('brand/style.css');
    expect(neutral.text).not.toContain('seller-logo');
    const neutralCancel = await http().get(`/invoice-payments/pay/cancel?invoice=${inv.documentId}`);
    expect(neutralCancel.text).not.toContain('seller');
    expect(neutralCancel.text).not.toContain('brand/style.css');
    expect(pdfToText((await getPdf(`${payUrl(inv.token)}/invoice.pdf`)).body as Buffer)).not.toContain(
      'Analytical Engines Ltd',
    );
  });
});
