import { formatMinor } from '../../server/src/domain/money';
import { PdfCache } from '../../server/src/documents/cache';
import { pdfMoney, pdfText, renderReceiptPdf } from '../../server/src/documents/pdf';
import { renderEmail } from '../../server/src/branding/email';
import { mergeBranding, defaultBranding, brandingInputSchema } from '../../server/src/services/settings-branding';
import { NEUTRAL_BRAND } from '../../server/src/branding/brand';
import { pdfToText } from '../support/pdf';

describe('PDF text (Helvetica covers WinAnsi only)', () => {
  it.each([
    ['USD', 'en-US', 182750, '$1,827.50'],
    ['JPY', 'ja-JP', 1828, '￥1,828'],
    ['KWD', 'en-US', 1828, 'KWD 1.828'],
    ['EUR', 'fr-FR', 182750, '1 827,50 €'],
    ['EUR', 'de-DE', -10000, '-100,00 €'],
    ['INR', 'en-IN', 182750, 'INR 1,827.50'],
    ['KRW', 'ko-KR', 1828, 'KRW 1,828'],
  ])(
    '%s in %s prints every character, the sign as the code where Helvetica has none',
    (currency, locale, minor, out) => {
      // No-break spaces stay (a PDF line never breaks inside an amount); compared as spaces.
      const printed = pdfMoney(formatMinor(minor, currency, locale), currency).replace(/\u00a0/g, ' ');
      expect(printed).not.toContain('?');
      // JPY in ja-JP uses the full-width yen sign, which Helvetica lacks.
      expect(printed).toBe(currency === 'JPY' ? 'JPY 1,828' : out);
    },
  );

  it('keeps Latin-1 and WinAnsi text, replaces the rest with ?', () => {
    expect(pdfText('Müller & Søn — “Zürich” €5 ½')).toBe('Müller & Søn — “Zürich” €5 ½');
    expect(pdfText('東京 Ltd')).toBe('?? Ltd');
  });
});

describe('PdfCache', () => {
  it('renders a version once, shares a render in progress, forgets failures, evicts the oldest', async () => {
    const cache = new PdfCache(2);
    let renders = 0;
    const render = (s: string) => async () => {
      renders += 1;
      return Buffer.from(s);
    };
    const [a1, a2] = await Promise.all([cache.get('a', render('a')), cache.get('a', render('a'))]);
    expect(renders).toBe(1);
    expect(a1).toBe(a2);
    await expect(cache.get('x', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(cache.has('x')).toBe(false);
    await cache.get('b', render('b'));
    await cache.get('a', render('a')); // a is now the most recent
    await cache.get('c', render('c')); // evicts b
    expect([cache.has('a'), cache.has('b'), cache.has('c')]).toEqual([true, false, true]);
    expect(renders).toBe(3);
  });
});

describe('branding', () => {
  it('merges given fields, clears with empty strings, lower-cases the colour; rejects bad colours', () => {
    const b = mergeBranding(defaultBranding, { name: 'Acme', accentColor: '#ABCDEF' });
    expect(b).toMatchObject({ name: 'Acme', accentColor: '#abcdef', address: null });
    expect(mergeBranding(b, { name: '', accentColor: null })).toMatchObject({ name: null, accentColor: null });
    expect(brandingInputSchema.safeParse({ accentColor: 'url(javascript:x)' }).success).toBe(false);
    expect(brandingInputSchema.safeParse({ accentColor: '#12345' }).success).toBe(false);
  });

  it('the neutral email has no header block and no image; HTML is escaped; text has the link', () => {
    const email = renderEmail(NEUTRAL_BRAND, {
      heading: 'Invoice <b>1</b>',
      paragraphs: ['Hello "you"'],
      button: { label: 'Pay online $5.00', url: 'https://x.example/pay/a?b=1&c=2' },
    });
    expect(email.attachments).toEqual([]);
    expect(email.html).not.toContain('<img');
    expect(email.html).toContain('Invoice &lt;b&gt;1&lt;/b&gt;');
    expect(email.html).toContain('href="https://x.example/pay/a?b=1&amp;c=2"');
    expect(email.text).toContain('Pay online $5.00: https://x.example/pay/a?b=1&c=2');
  });
});

it('a receipt PDF reads back with its amount, method, reference and balance', async () => {
  const pdf = await renderReceiptPdf({
    brand: { ...NEUTRAL_BRAND, name: 'Acme' },
    invoiceNumber: 'INV-7',
    billingName: 'Ada',
    billingEmail: null,
    amount: formatMinor(1828, 'KWD'),
    currency: 'KWD',
    paidOn: 'November 30, 2026',
    method: 'Card',
    methodDetail: null,
    reference: 'pi_123',
    remainingBalance: formatMinor(0, 'KWD'),
    note: null,
  });
  const text = pdfToText(pdf);
  expect(text).toMatch(/Amount paid\s+KWD\s+1\.828/);
  expect(text).toMatch(/Reference\s+pi_123/);
  expect(text).toMatch(/Remaining balance\s+KWD\s+0\.000/);
});

describe('PDF fonts: names beyond WinAnsi', () => {
  const receipt = (billingName: string, amount = formatMinor(182750, 'USD')) =>
    renderReceiptPdf({
      brand: { ...NEUTRAL_BRAND, name: 'Acme' },
      invoiceNumber: 'INV-8',
      billingName,
      billingEmail: null,
      amount,
      currency: 'USD',
      paidOn: 'November 30, 2026',
      method: 'Card',
      methodDetail: 'Visa •••• 4242',
      reference: 'pi_456',
      remainingBalance: formatMinor(0, 'USD'),
      note: null,
    });

  it('a Latin-1 document stays in Helvetica, nothing embedded', async () => {
    const pdf = await receipt('Jürgen Müller');
    expect(pdf.toString('latin1')).toContain('/BaseFont /Helvetica');
    expect(pdf.toString('latin1')).not.toContain('DejaVu');
    expect(pdfToText(pdf)).toContain('Jürgen Müller');
  });

  it.each(['Łukasz Żółć', 'Dvořák Čeněk', 'Дмитрий Иванов', 'Αλέξανδρος Παπαδόπουλος'])(
    '%s is printed in DejaVu Sans (embedded), every letter kept',
    async (name) => {
      const pdf = await receipt(name);
      expect(pdf.toString('latin1')).toMatch(/\/BaseFont \/[A-Z]{6}\+DejaVuSans/);
      const text = pdfToText(pdf);
      expect(text).toContain(name);
      expect(text).toMatch(/Card \/ bank\s+Visa •••• 4242/);
      expect(text).not.toContain('?');
    },
  );

  it('a script DejaVu lacks is written as ?, the rest of the document as usual; the next one is Helvetica again', async () => {
    const text = pdfToText(await receipt('株式会社 Łódź'));
    expect(text).toContain('???? Łódź');
    expect((await receipt('Plain Name')).toString('latin1')).not.toContain('DejaVu');
  });
});
