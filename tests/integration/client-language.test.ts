import {
  bootPayments,
  eventually,
  payableInvoice,
  payWith,
  readInvoice,
  PAYMENT,
  type PaymentsEnv,
} from '../support/payments';
import { mimeParts } from '../support/smtp';
import { asBytes, pdfToText } from '../support/pdf';
import { editorApi, editorForm } from '../support/editor';

/**
 * The client's language through the real routes: the invoice's own language wins, else the
 * browser's Accept-Language, else Settings' default client language, else English; an unknown
 * locale is never an error. Pages, JSON views, PDFs, emails and Checkout sessions all follow it.
 */
let env: PaymentsEnv;

beforeAll(async () => {
  env = await bootPayments();
});
afterAll(async () => {
  await env?.close();
});

const http = () => env.app.http();
/** Intl's no-break and narrow no-break spaces (fr 1 827,50 €, de 19 %) compared as plain spaces. */
const norm = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ');
const settings = () =>
  env.app.strapi.plugin('invoice-payments').service('settings') as {
    update(input: Record<string, unknown>, actor: { type: 'system' }): Promise<unknown>;
  };
const setDefault = (defaultLanguage: string) => settings().update({ defaultLanguage }, { type: 'system' });
const getPdf = (url: string) => http().get(url).buffer(true).parse(asBytes);
const pageData = (html: string) =>
  JSON.parse(/<script type="application\/json" id="ip-page-data">(.*?)<\/script>/s.exec(html)![1]!) as {
    language: string;
    messages: Record<string, string>;
  };

afterEach(async () => {
  await setDefault('en');
});

describe('which language', () => {
  it("the invoice's language wins over the browser's; the page, its script's strings and the JSON view agree", async () => {
    const inv = await payableInvoice(env, { language: 'fr', currency: 'EUR' });
    const page = await http().get(`/invoice-payments/pay/${inv.token}`).set('Accept-Language', 'de-DE,de;q=0.9');
    expect(page.status).toBe(200);
    expect(norm(page.text)).toContain('<html lang="fr">');
    expect(norm(page.text)).toContain('Payer 1 827,50 €');
    expect(norm(page.text)).toContain('<dt>Reste à payer</dt>');
    expect(norm(page.text)).toContain('<span class="sr-only">Statut : </span>À payer');
    expect(norm(page.text)).not.toContain('Balance due');
    const data = pageData(norm(page.text));
    expect(data.language).toBe('fr');
    expect(data.messages['drawer.email']).toBe('E-mail pour le reçu');
    // Only the pay pages' strings travel with the page, never the emails' or the PDF's.
    expect(Object.keys(data.messages).some((k) => k.startsWith('email.') || k.startsWith('pdf.'))).toBe(false);

    const json = await http().get(`/api/invoice-payments/pay/${inv.token}`).set('Accept-Language', 'es');
    expect(json.status).toBe(200);
    expect(json.body.data).toMatchObject({ language: 'fr', stateLabel: 'À payer', locale: 'fr-FR' });
  });

  it("without an invoice language: the browser's first supported language, with its own number format", async () => {
    const inv = await payableInvoice(env, { currency: 'EUR', taxRateBps: 1900 });
    const page = await http()
      .get(`/invoice-payments/pay/${inv.token}`)
      .set('Accept-Language', 'ja-JP, de-AT;q=0.9, fr;q=0.8');
    expect(norm(page.text)).toContain('<html lang="de">');
    expect(norm(page.text)).toContain('€ 2.174,73 jetzt bezahlen'); // de-AT: the sign first
    expect(norm(page.text)).toContain('<dt>MwSt. (19 %)</dt>');
    const json = await http().get(`/api/invoice-payments/pay/${inv.token}`).set('Accept-Language', 'es-MX, en;q=0.5');
    expect(json.body.data).toMatchObject({ language: 'es', stateLabel: 'Pendiente', locale: 'es-MX' });
  });

  it("no invoice language, nothing usable from the browser: Settings' default; ?lang= overrides all", async () => {
    await setDefault('es');
    const inv = await payableInvoice(env, { language: 'fr' });
    const plain = await payableInvoice(env);
    const none = await http().get(`/invoice-payments/pay/${plain.token}`).set('Accept-Language', 'ja, zh;q=0.8');
    expect(norm(none.text)).toContain('<html lang="es">');
    expect(norm(none.text)).toContain('Pagar 1827,50 US$');
    const noHeader = await http().get(`/api/invoice-payments/pay/${plain.token}`);
    expect(noHeader.body.data.language).toBe('es');
    const override = await http().get(`/invoice-payments/pay/${inv.token}?lang=de`).set('Accept-Language', 'fr');
    expect(override.text).toContain('<html lang="de">');
  });

  it('unknown locales fall back to the default, never an error', async () => {
    await setDefault('de');
    const inv = await payableInvoice(env);
    for (const [lang, header] of [
      ['klingon', 'tlh'],
      ['xx-YY', '*, zz;q=0.5'],
      ['%3Cscript%3E', 'de;q=abc, <x>'],
      ['', ''],
    ]) {
      const res = await http().get(`/invoice-payments/pay/${inv.token}?lang=${lang}`).set('Accept-Language', header);
      expect([lang, res.status]).toEqual([lang, 200]);
      expect(res.text).toContain('<html lang="de">');
      const json = await http()
        .get(`/api/invoice-payments/pay/${inv.token}?lang=${lang}`)
        .set('Accept-Language', header);
      expect([lang, json.status, json.body.data.language]).toEqual([lang, 200, 'de']);
    }
    // A bad link's page speaks the default language too.
    const missing = await http().get('/invoice-payments/pay/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('Wir konnten diese Rechnung nicht finden');
  });

  it('Settings refuse a language the plugin does not ship, with a message, and change nothing', async () => {
    const res = await http().put('/invoice-payments/settings').set(env.admin.auth).send({ defaultLanguage: 'tlh' });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(/en, fr, de, es/);
    const view = await http().get('/invoice-payments/settings').set(env.admin.auth);
    expect(view.body.data.defaultLanguage).toBe('en');
    const ok = await http().put('/invoice-payments/settings').set(env.admin.auth).send({ defaultLanguage: 'fr' });
    expect(ok.status).toBe(200);
    expect(ok.body.data.defaultLanguage).toBe('fr');
  });
});

describe('documents and emails', () => {
  it('the invoice PDF and the receipt of a German invoice are in German', async () => {
    const inv = await payableInvoice(env, {
      language: 'de',
      currency: 'EUR',
      taxRateBps: 1900,
      billingName: 'Käthe Müller',
    });
    const res = await getPdf(`/invoice-payments/pay/${inv.token}/invoice.pdf`);
    expect(res.status).toBe(200);
    const text = norm(pdfToText(res.body as Buffer));
    expect(text).toContain('Rechnung');
    expect(text).toContain('RECHNUNGSEMPFÄNGER');
    expect(text).toContain('Käthe Müller');
    expect(text).toMatch(/Zwischensumme\s+1\.827,50 €/);
    expect(text).toMatch(/MwSt\. \(19 %\)\s+347,23 €/);
    expect(text).toMatch(/Offener Betrag\s+2\.174,73 €/);
    expect(text).toContain('Online per Karte bezahlen');
    expect(text).toContain('Seite 1 von 1');
    expect(text).not.toMatch(/Balance due|Subtotal|Page 1 of/);

    const intent = await http()
      .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
      .send({ token: inv.token });
    await payWith(env, intent.body.data.providerPaymentId as string, 'pm_card_visa');
    await eventually(
      () => readInvoice(env, inv.documentId),
      (i) => i.state === 'paid',
    );
    // The ledger learns the method with the charge (it may come with a later event than the payment).
    await eventually(
      () => env.app.strapi.db.query(PAYMENT).findOne({ where: { invoice: { documentId: inv.documentId } } }),
      (p) => p?.method === 'card',
    );
    const view = await http().get(`/api/invoice-payments/pay/${inv.token}`);
    const receipt = view.body.data.documents.receipts[0] as { label: string; file: string };
    expect(norm(receipt.label)).toMatch(/^Beleg: 2\.174,73 €, /);
    const r = norm(pdfToText((await getPdf(`/invoice-payments/pay/${inv.token}/${receipt.file}`)).body as Buffer));
    expect(r).toContain('Zahlungsbeleg');
    expect(r).toMatch(/Bezahlt\s+2\.174,73 €/);
    expect(r).toMatch(/Zahlungsart\s+Karte/);
    expect(r).toMatch(/Offener Restbetrag\s+0,00 €/);
    expect(r).toContain('Vielen Dank für Ihre Zahlung.');
  });

  it('the invoice email and the confirmation of a French invoice are in French, subject, HTML and text', async () => {
    const inv = await payableInvoice(env, {
      language: 'fr',
      currency: 'EUR',
      billingName: 'Émile Zola',
      billingEmail: 'emile@example.test',
    });
    const sent = await http().post(`/invoice-payments/invoices/${inv.documentId}/send`).set(env.admin.auth).send({});
    expect(sent.status).toBe(200);
    const mail = await eventually(
      async () => env.smtp.mails.find((m) => m.to.includes('emile@example.test')),
      (m) => m !== undefined,
    );
    expect(mail!.raw).toMatch(/^Subject: .*/m);
    const parts = mimeParts(mail!.raw);
    const subject = norm(decodeSubject(mail!.raw));
    expect(subject).toBe(`Facture ${inv.row.number} — 1 827,50 € à payer`);
    const html = norm(parts.find((p) => p.contentType === 'text/html')!.body.toString('utf8'));
    const plain = norm(parts.find((p) => p.contentType === 'text/plain')!.body.toString('utf8'));
    expect(html).toContain('<html lang="fr">');
    expect(html).toContain(`Bonjour Émile Zola, voici la facture ${inv.row.number}. Le PDF est joint.`);
    expect(html).toContain('Payer en ligne 1 827,50 €');
    expect(plain).toContain('Montant dû: 1 827,50 €');
    expect(plain).toContain(`Payer en ligne 1 827,50 €: `);
    // The attached PDF is French too.
    const pdf = parts.find((p) => p.contentType === 'application/pdf')!;
    expect(pdfToText(pdf.body)).toContain('FACTURÉ À');

    const intent = await http()
      .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
      .send({ token: inv.token });
    await payWith(env, intent.body.data.providerPaymentId as string, 'pm_card_visa');
    const confirmation = await eventually(
      async () => env.smtp.mails.find((m) => m.to.includes('emile@example.test') && m !== mail),
      (m) => m !== undefined,
    );
    expect(decodeSubject(confirmation!.raw)).toBe(`Paiement reçu pour la facture ${inv.row.number}`);
    const text = norm(
      mimeParts(confirmation!.raw)
        .find((p) => p.contentType === 'text/plain')!
        .body.toString('utf8'),
    );
    expect(text).toContain(`Merci, Émile Zola. Nous avons reçu 1 827,50 € pour la facture ${inv.row.number}.`);
    expect(text).toContain('Télécharger votre reçu (PDF): ');
  });
});

describe('the invoice editor', () => {
  const api = editorApi(() => env);
  const form = editorForm('LANG', { lines: [{ description: 'Design', quantity: '1', unitPrice: '100' }] });

  it('starts new invoices in the default client language; saves, clears and refuses a language', async () => {
    await setDefault('fr');
    const blank = await api('get', '/invoice-form');
    expect(blank.body.data).toMatchObject({ defaultLanguage: 'fr', values: { language: 'fr' } });

    const created = await api('post', '/invoices', form({ language: 'de' }));
    expect([created.status, created.body.error?.message]).toEqual([201, undefined]);
    const id = created.body.data.documentId as string;
    expect((await readInvoice(env, id)).language).toBe('de');
    const loaded = await api('get', `/invoice-form/${id}`);
    expect(loaded.body.data.values.language).toBe('de');
    // Empty: follow the default (French here).
    const cleared = await api('put', `/invoices/${id}`, { ...loaded.body.data.values, language: '' });
    expect(cleared.status).toBe(200);
    expect((await readInvoice(env, id)).language).toBeNull();

    const before = await env.app.strapi.db.query('plugin::invoice-payments.invoice').count({});
    const bad = await api('post', '/invoices', form({ language: 'tlh' }));
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.error)).toContain('Choose a language: en, fr, de, es, or empty for the default.');
    expect(await env.app.strapi.db.query('plugin::invoice-payments.invoice').count({})).toBe(before);
  });

  it('an invoice made without the field (older invoices, the API) has none and follows the default', async () => {
    await setDefault('es');
    const inv = await payableInvoice(env);
    expect(inv.row.language ?? null).toBeNull();
    const json = await http().get(`/api/invoice-payments/pay/${inv.token}`);
    expect(json.body.data.language).toBe('es');
  });
});

describe('the pages after Checkout', () => {
  it("the cancel page and a bad return link speak the invoice's or the browser's language", async () => {
    const inv = await payableInvoice(env, { language: 'es' });
    const cancel = await http()
      .get(`/invoice-payments/pay/cancel?invoice=${inv.documentId}`)
      .set('Accept-Language', 'de');
    expect(cancel.status).toBe(200);
    expect(cancel.text).toContain('<html lang="es">');
    expect(cancel.text).toContain('<h1 id="result-title">Pago cancelado</h1>');
    expect(cancel.text).toContain('Ha salido de la página de pago antes de pagar. No se ha cobrado nada.');
    expect(cancel.text).toContain('<a href="#">Volver a su factura</a>');
    expect(pageData(cancel.text).messages['result.return']).toBe('Volver a su factura');
    const unknown = await http()
      .get('/invoice-payments/pay/success?session_id=cs_test_unknown0000000000')
      .set('Accept-Language', 'fr-FR');
    expect(unknown.status).toBe(404);
    expect(unknown.text).toContain('<html lang="fr">');
    expect(unknown.text).toContain('Nous n’avons pas trouvé ce paiement.');
  });
});

describe('the gateway speaks it too', () => {
  it("a Checkout session is created with the page's language (an open one is reused whatever the language)", async () => {
    await settings().update({ checkoutMode: 'hosted' }, { type: 'system' });
    try {
      const inv = await payableInvoice(env, { language: 'es' });
      const res = await http()
        .post(`/api/invoice-payments/invoices/${inv.documentId}/checkout-session`)
        .set('Accept-Language', 'fr')
        .send({ token: inv.token, uiMode: 'hosted' });
      expect(res.status).toBe(200);
      const session = await env.stripe.checkout.sessions.retrieve(res.body.data.checkoutSessionId as string);
      expect(session.locale).toBe('es');

      // The page said German (?lang=de): its script sends that, and Checkout follows.
      const other = await payableInvoice(env);
      const de = await http()
        .post(`/api/invoice-payments/invoices/${other.documentId}/checkout-session`)
        .send({ token: other.token, uiMode: 'hosted', language: 'de' });
      expect(de.status).toBe(200);
      expect((await env.stripe.checkout.sessions.retrieve(de.body.data.checkoutSessionId as string)).locale).toBe('de');
      // An unknown language in the body is ignored (the default), not an error.
      const third = await payableInvoice(env);
      const bad = await http()
        .post(`/api/invoice-payments/invoices/${third.documentId}/checkout-session`)
        .send({ token: third.token, uiMode: 'hosted', language: 'tlh' });
      expect(bad.status).toBe(200);
      expect((await env.stripe.checkout.sessions.retrieve(bad.body.data.checkoutSessionId as string)).locale).toBe(
        'en',
      );
    } finally {
      await settings().update({ checkoutMode: 'payment_element' }, { type: 'system' });
    }
  });
});

/** The Subject header, RFC 2047 encoded-words decoded (non-ASCII subjects are encoded). */
function decodeSubject(raw: string): string {
  const header = /^Subject: (.*(?:\r?\n[ \t].*)*)/m.exec(raw)![1]!.replace(/\r?\n[ \t]/g, ' ');
  return header
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?utf-8\?([bq])\?([^?]*)\?=/gi, (_, enc: string, text: string) =>
      enc.toLowerCase() === 'b'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(
            text
              .replace(/_/g, ' ')
              .replace(/=([0-9A-F]{2})/gi, (__, h: string) => String.fromCharCode(parseInt(h, 16))),
            'latin1',
          ).toString('utf8'),
    );
}
