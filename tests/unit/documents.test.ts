import { formatMinor } from '../../server/src/domain/money';
import { PdfCache } from '../../server/src/documents/cache';
import { pdfMoney, pdfText, renderReceiptPdf } from '../../server/src/documents/pdf';
import { renderEmail } from '../../server/src/branding/email';
import { mergeBranding, defaultBranding, brandingInputSchema } from '../../server/src/services/settings-branding';
import { NEUTRAL_BRAND } from '../../server/src/branding/brand';
import { glyphsFor, pdfToText, pdfWords } from '../support/pdf';

describe('PDF text and amounts', () => {
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

  it('keeps every character a shipped font has (WinAnsi, DejaVu Sans, Noto Sans CJK), ? for the rest', () => {
    expect(pdfText('Müller & Søn — “Zürich” €5 ½')).toBe('Müller & Søn — “Zürich” €5 ½');
    expect(pdfText('東京 Ltd 서울 محمد')).toBe('東京 Ltd 서울 محمد');
    // Devanagari: no shipped font has it.
    expect(pdfText('नमस्ते Ltd')).toBe('?????? Ltd');
  });

  it('a currency sign the document font lacks is its code, in Helvetica and in DejaVu Sans alike', () => {
    expect(pdfMoney('₹1,827.50', 'INR', 'dejavu')).toBe('₹1,827.50');
    expect(pdfMoney('￥1,828', 'JPY', 'dejavu')).toBe('JPY 1,828');
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

  it('a letter first drawn inside another (Greek Α is Latin A in DejaVu Sans) keeps its text in the next document', async () => {
    // The fonts are parsed once and shared by all documents (documents/fonts.ts registerFace).
    expect(pdfToText(await receipt('Αλέξανδρος Łukasz'))).toContain('Αλέξανδρος Łukasz');
    expect(pdfToText(await receipt('Ana Łukasz'))).toContain('Ana Łukasz');
  });

  it.each([
    ['王小明', 'NotoSansHans'],
    ['山田太郎株式会社', 'NotoSansHans'],
    ['김민준 주식회사', 'NotoSansKR'],
  ])('%s is printed in Noto Sans CJK, only its characters: the rest stays in Helvetica', async (name, font) => {
    const pdf = await receipt(name);
    const raw = pdf.toString('latin1');
    expect(raw).toMatch(new RegExp(`/BaseFont /[A-Z]{6}\\+${font}-Regular`));
    expect(raw).toContain('/BaseFont /Helvetica');
    expect(raw).not.toContain('DejaVu');
    const text = pdfToText(pdf);
    expect(text).toContain(name);
    expect(text).toMatch(/Amount paid\s+\$1,827\.50/);
    expect(text).not.toContain('?');
    // The next document without CJK text embeds no CJK font.
    expect((await receipt('Plain Name')).toString('latin1')).not.toContain('Noto');
  });

  it('a seller and a client in CJK, a line wrapped between ideographs, in bold and regular', async () => {
    const pdf = await renderReceiptPdf({
      brand: { ...NEUTRAL_BRAND, name: '上海贸易有限公司', address: '上海市浦东新区世纪大道100号' },
      invoiceNumber: 'INV-9',
      billingName: '김민준',
      billingEmail: null,
      amount: formatMinor(1828, 'JPY', 'ja-JP'),
      currency: 'JPY',
      paidOn: '2026年11月30日',
      method: 'Card',
      methodDetail: null,
      reference: 'pi_789',
      remainingBalance: formatMinor(0, 'JPY', 'ja-JP'),
      note: '咨询服务：需求分析、系统设计、实施和审查，包括所有相关文档和培训课程以及后续支持服务，咨询服务：需求分析、系统设计、实施和审查，包括所有相关文档和培训课程',
    });
    const raw = pdf.toString('latin1');
    for (const font of ['NotoSansHans-Bold', 'NotoSansHans-Regular', 'NotoSansKR-Regular'])
      expect(raw).toMatch(new RegExp(`/BaseFont /[A-Z]{6}\\+${font}`));
    const text = pdfToText(pdf);
    for (const s of ['上海贸易有限公司', '上海市浦东新区世纪大道100号', '김민준', '2026年11月30日', 'JPY 1,828'])
      expect(text).toContain(s);
    // The note is one paragraph wider than the page: it wraps between ideographs, nothing lost.
    const note = text.split('\n').filter((l) => /咨询|培训/.test(l) && !l.includes('上海'));
    expect(note.length).toBeGreaterThan(1);
    expect(note.map((l) => l.trim()).join('')).toBe(
      '咨询服务：需求分析、系统设计、实施和审查，包括所有相关文档和培训课程以及后续支持服务，咨询服务：需求分析、系统设计、实施和审查，包括所有相关文档和培训课程',
    );
  });

  it.each(['محمد علي الحسن', 'חברה לדוגמה בע"מ'])(
    '%s (right to left) is printed in DejaVu Sans, its words in reading order',
    async (name) => {
      const pdf = await receipt(name);
      expect(pdf.toString('latin1')).toMatch(/\/BaseFont \/[A-Z]{6}\+DejaVuSans/);
      // pdftotext reads a right-to-left line from right to left: the name comes back in its own
      // order only if it was drawn right to left (PDFKit alone puts each word left to right).
      const text = pdfToText(pdf);
      expect(text).toContain(name);
      expect(text).not.toContain('?');
    },
  );

  it('Arabic letters are joined: one letter, several glyphs (initial, medial, final forms)', async () => {
    // م is initial in محمد and medial further on; د final. Unshaped, each letter is one glyph.
    const pdf = await receipt('محمد');
    expect(glyphsFor(pdf, 'م')).toBe(2);
    expect(glyphsFor(pdf, 'ح')).toBe(1);
    const isolated = await receipt('م ح');
    expect(glyphsFor(isolated, 'م')).toBe(1);
  });

  it('mixed directions are ordered by the bidirectional algorithm: digits and Latin keep their own order', async () => {
    // pdftotext -bbox gives each word's left edge; it spells an Arabic word as drawn (left to
    // right), so Arabic words are found by one of their letters.
    const lineOf = (words: ReturnType<typeof pdfWords>, w: string) => {
      const y = words.find((word) => word.text.includes(w))!.yMin;
      return words.filter((word) => word.yMin === y);
    };
    // Left-to-right line: "Acme", then the Arabic run with its number ("2024 شركة" seen from the left), then "Ltd".
    const words = lineOf(pdfWords(await receipt('Acme شركة 2024 Ltd')), 'Ltd');
    const x = (w: string) => words.find((word) => word.text.includes(w))!.xMin;
    expect(words.map((w) => w.text).join(' ')).toBe('Acme 2024 ةكرش Ltd');
    expect(x('Acme')).toBeLessThan(x('2024'));
    expect(x('2024')).toBeLessThan(x('ش'));
    expect(x('ش')).toBeLessThan(x('Ltd'));
    // Right-to-left line (فاتورة رقم 123): the first word rightmost, the number at the left end,
    // its digits in their own order.
    const rtl = lineOf(pdfWords(await receipt('فاتورة رقم 123')), '123');
    const at = (w: string) => rtl.find((word) => word.text.includes(w))!.xMin;
    expect(at('123')).toBeLessThan(at('ق'));
    expect(at('ق')).toBeLessThan(at('ف'));
  });
});
