import { bootPayments, eventually, INVOICE, payableInvoice, type PaymentsEnv } from '../support/payments';
import { mimeParts } from '../support/smtp';
import { asBytes, pdfToText } from '../support/pdf';

/**
 * Attacks on the client's language (issue 12, independent review): hostile ?lang= and
 * Accept-Language values, markup in what the translations are filled with, header injection
 * through a translated subject, unknown languages stored on an invoice, and Checkout in two
 * languages for one invoice.
 */
let env: PaymentsEnv;

beforeAll(async () => {
  env = await bootPayments();
}, 120_000);
afterAll(async () => {
  await env?.close();
});

const http = () => env.app.http();
const settings = () =>
  env.app.strapi.plugin('invoice-payments').service('settings') as {
    update(input: Record<string, unknown>, actor: { type: 'system' }): Promise<unknown>;
  };

const HOSTILE_LANGS = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '../../../etc/passwd',
  '..%2F..%2Fen',
  '*',
  '%00fr',
  'fr%0D%0ASet-Cookie:x=1',
  'x'.repeat(5000),
];
const HOSTILE_HEADERS = [
  '__proto__, constructor;q=0.9',
  '*',
  'fr;q=1e309, de;q=-1, es;q=NaN',
  `${'zz-ZZZZZZZZ,'.repeat(1200)}es`,
  ';;;,,,;q=,=,q=0.5',
  'toString',
];

describe('hostile language values', () => {
  it('?lang= and Accept-Language never break a page, a JSON view, a PDF or a result page', async () => {
    const inv = await payableInvoice(env);
    const urls = [
      `/invoice-payments/pay/${inv.token}`,
      `/api/invoice-payments/pay/${inv.token}`,
      `/invoice-payments/pay/${inv.token}/invoice.pdf`,
      `/invoice-payments/pay/cancel?invoice=${inv.documentId}`,
      `/invoice-payments/pay/invoice/${inv.documentId}`,
    ];
    const problems: string[] = [];
    for (const url of urls) {
      const sep = url.includes('?') ? '&' : '?';
      const tries = [
        ...HOSTILE_LANGS.map((lang) => ({ q: `${sep}lang=${lang}`, header: '' })),
        ...HOSTILE_HEADERS.map((header) => ({ q: '', header })),
        { q: `${sep}lang[]=fr&lang[]=de`, header: '' },
        { q: `${sep}lang[__proto__]=fr`, header: '' },
        { q: `${sep}lang[toString]=fr`, header: '' },
      ];
      for (const { q, header } of tries) {
        const req = http().get(`${url}${q}`);
        const res = await (header ? req.set('Accept-Language', header) : req);
        const text = res.text ?? '';
        if (res.status !== 200) problems.push(`${res.status} ${url}${q.slice(0, 40)} [${header.slice(0, 40)}]`);
        if (/\bat .*\.(js|ts):\d+/.test(text) || /TypeError|ReferenceError/.test(text))
          problems.push(`stack ${url}${q.slice(0, 40)}`);
        if (res.type === 'text/html' && !text.includes('<html lang="en">') && !header.endsWith('es'))
          problems.push(`not English ${url}${q.slice(0, 40)} [${header.slice(0, 40)}]`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("a Checkout session's locale is always one Stripe accepts, whatever the body says", async () => {
    await settings().update({ checkoutMode: 'hosted' }, { type: 'system' });
    try {
      for (const language of [
        '__proto__',
        'constructor',
        { toString: 'fr' },
        ['fr'],
        'fr-CA',
        'DE_ch',
        'x'.repeat(10_000),
      ]) {
        const inv = await payableInvoice(env);
        const res = await http()
          .post(`/api/invoice-payments/invoices/${inv.documentId}/checkout-session`)
          .set('Accept-Language', '__proto__')
          .send({ token: inv.token, uiMode: 'hosted', language });
        expect([JSON.stringify(language).slice(0, 30), res.status]).toEqual([
          JSON.stringify(language).slice(0, 30),
          200,
        ]);
        const session = await env.stripe.checkout.sessions.retrieve(res.body.data.checkoutSessionId as string);
        expect(['en', 'fr', 'de', 'es']).toContain(session.locale);
      }
    } finally {
      await settings().update({ checkoutMode: 'payment_element' }, { type: 'system' });
    }
  });
});

describe('markup in the values the translations are filled with', () => {
  const EVIL = '</script><img src=x onerror=alert(1)>{amount}';
  it.each(['en', 'fr', 'de', 'es'])(
    '%s: the pay page, its data block and the cancel page escape them',
    async (language) => {
      const inv = await payableInvoice(env, {
        language,
        number: `X${language}</script><svg onload=alert(1)>`,
        billingName: EVIL,
        lineItems: [{ description: `"><script>alert(2)</script>{number}`, quantity: 1, unitAmount: 1000 }],
      } as never);
      const page = await http().get(`/invoice-payments/pay/${inv.token}`);
      expect(page.status).toBe(200);
      expect(page.text).not.toMatch(/<img src=x|<svg onload|<script>alert/);
      // Only the data block's own closing tag and the bundle's tag.
      expect(page.text.match(/<\/script>/g)).toHaveLength(2);
      // A placeholder in a value is text, never filled in a second time.
      expect(page.text).toContain('{amount}');
      const cancel = await http().get(`/invoice-payments/pay/cancel?invoice=${inv.documentId}`);
      expect(cancel.status).toBe(200);
      expect(cancel.text).not.toMatch(/<svg onload/);
    },
  );

  it('the invoice email escapes them in HTML, and a CR/LF in the number cannot add a header', async () => {
    const inv = await payableInvoice(env, {
      language: 'de',
      number: `INJ-${Date.now()}\r\nBcc: victim@evil.test\r\nX-Injected: 1`,
      billingName: '<b>Eve</b>\r\nBcc: other@evil.test',
      billingEmail: 'eve@example.test',
    } as never);
    const stored = await env.app.strapi.db.query(INVOICE).findOne({ where: { documentId: inv.documentId } });
    const sent = await http().post(`/invoice-payments/invoices/${inv.documentId}/send`).set(env.admin.auth).send({});
    expect(sent.status).toBe(200);
    const mail = await eventually(
      async () => env.smtp.mails.find((m) => m.to.includes('eve@example.test')),
      (m) => m !== undefined,
    );
    expect(env.smtp.mails.some((m) => m.to.some((to) => to.includes('evil.test')))).toBe(false);
    const head = mail!.raw.split(/\r?\n\r?\n/)[0]!;
    expect(head).not.toMatch(/^(Bcc|X-Injected):/im);
    const html = mimeParts(mail!.raw)
      .find((p) => p.contentType === 'text/html')!
      .body.toString('utf8');
    expect(html).not.toContain('<b>Eve</b>');
    expect(stored.number).toContain('INJ-');
  });
});

describe('languages stored where they should not be', () => {
  it('the document service refuses a language the plugin does not ship', async () => {
    await expect(payableInvoice(env, { language: 'tlh' })).rejects.toThrow();
  });

  it('the Content Manager refuses one too, and keeps a shipped one', async () => {
    const inv = await payableInvoice(env, { language: 'fr' });
    const cm = `/content-manager/collection-types/${INVOICE}/${inv.documentId}`;
    for (const language of ['tlh', '__proto__', 'FR', 'fr-CA', { $ne: null }]) {
      const res = await http().put(cm).set(env.admin.auth).send({ language });
      expect([JSON.stringify(language), res.status]).toEqual([JSON.stringify(language), 400]);
    }
    expect((await env.app.strapi.db.query(INVOICE).findOne({ where: { id: inv.row.id } })).language).toBe('fr');
    const ok = await http().put(cm).set(env.admin.auth).send({ language: 'es' });
    expect(ok.status).toBe(200);
    expect((await env.app.strapi.db.query(INVOICE).findOne({ where: { id: inv.row.id } })).language).toBe('es');
  });

  it('an unknown language written straight to the database (an old import) falls back, never a 500', async () => {
    await settings().update({ defaultLanguage: 'de' }, { type: 'system' });
    try {
      const inv = await payableInvoice(env);
      for (const language of ['tlh', '__proto__', 'constructor', '']) {
        await env.app.strapi.db.query(INVOICE).update({ where: { id: inv.row.id }, data: { language } });
        const page = await http().get(`/invoice-payments/pay/${inv.token}`);
        expect([language, page.status]).toEqual([language, 200]);
        expect(page.text).toContain('<html lang="de">');
        const pdf = await http().get(`/invoice-payments/pay/${inv.token}/invoice.pdf`);
        expect([language, pdf.status]).toEqual([language, 200]);
      }
    } finally {
      await settings().update({ defaultLanguage: 'en' }, { type: 'system' });
    }
  });
});

describe('Checkout in two languages for one invoice (two tabs)', () => {
  it('one open session for the invoice, whichever language asks second, also at the same time', async () => {
    await settings().update({ checkoutMode: 'hosted' }, { type: 'system' });
    try {
      const inv = await payableInvoice(env);
      const open = (language: string) =>
        http()
          .post(`/api/invoice-payments/invoices/${inv.documentId}/checkout-session`)
          .send({ token: inv.token, uiMode: 'hosted', language });
      const fr = await open('fr');
      const de = await open('de');
      expect([fr.status, de.status]).toEqual([200, 200]);
      const [es, en] = await Promise.all([open('es'), open('en')]);
      const sessions = await env.stripe.checkout.sessions.list({ limit: 100 });
      // Not even an expired second one: the language is not a reason to replace the session.
      const mine = sessions.data.filter((s) => s.client_reference_id === inv.documentId);
      expect(mine.map((s) => [s.status, s.locale])).toEqual([['open', 'fr']]);
      expect(de.body.data).toMatchObject({ checkoutSessionId: mine[0]!.id, reused: true });
      for (const r of [es, en]) {
        expect([200, 409]).toContain(r.status);
        if (r.status === 200) expect(r.body.data.checkoutSessionId).toBe(mine[0]!.id);
      }
    } finally {
      await settings().update({ checkoutMode: 'payment_element' }, { type: 'system' });
    }
  });
});

describe('the downloads follow the page', () => {
  it('a page in another language than the invoice (?lang=) links its PDF in that language too', async () => {
    const inv = await payableInvoice(env, { language: 'fr' });
    const page = await http().get(`/invoice-payments/pay/${inv.token}?lang=de`);
    expect(page.text).toContain('<html lang="de">');
    const href = /<a href="([^"]+)" id="download-pdf"/.exec(page.text)![1]!;
    const pdf = await http().get(href.replace(/&amp;/g, '&')).buffer(true).parse(asBytes);
    expect(pdf.status).toBe(200);
    const text = pdfToText(pdf.body as Buffer);
    expect(text).toContain('Seite 1 von 1');
    // The JSON view the script refreshes from says the same.
    const json = await http().get(`/api/invoice-payments/pay/${inv.token}?lang=de`);
    expect(json.body.data.documents.pdf).toBe('invoice.pdf?lang=de');
    // Without ?lang= the links stay as they were.
    const plain = await http().get(`/api/invoice-payments/pay/${inv.token}`);
    expect(plain.body.data.documents.pdf).toBe('invoice.pdf');
  });
});
