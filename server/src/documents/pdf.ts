/**
 * Invoice and receipt PDFs, drawn with PDFKit (https://pdfkit.org): text, vector lines and the
 * pay link's QR code as vector squares, no headless browser. Plain data in, bytes out: amounts
 * and dates arrive formatted (services/pages buildView, the pay page's own formatting), so the
 * PDF shows exactly what the pay page shows. No Strapi import here.
 *
 * Fonts: PDFKit's built-in Helvetica (nothing embedded, the smallest file) while every text is
 * in the Latin-1/WinAnsi characters it covers. A document with other text (Polish, Czech, Greek,
 * Cyrillic names, a ₹ sign...) is drawn in DejaVu Sans instead, embedded as a subset
 * (the `dejavu-fonts-ttf` package). Scripts DejaVu lacks (Chinese, Japanese, Korean...) are written
 * as "?", and a currency sign neither font has as its ISO code; see `pdfText` and `pdfMoney`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import type { Brand } from '../branding/brand';
import { translator, type Language, type Translate } from '../i18n';
import type { InvoiceView } from '../pages/view';

const INK = '#1f2430';
const MUTED = '#5d6475';
const LINE = '#e3e6ec';
const NEUTRAL_ACCENT = '#1f2430';
const MARGIN = 50;

/** Characters of the WinAnsi encoding beyond Latin-1 (what Helvetica can show in PDFKit). */
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');
/** Typographic characters Intl and people use, replaced by a WinAnsi equivalent. */
const REPLACEMENTS: Record<string, string> = {
  '\u202f': ' ', // narrow no-break space (fr-FR thousands)
  '\u2009': ' ',
  '\u2007': ' ',
  '\u2212': '-', // minus sign
  '\u2011': '-',
  '\u2010': '-',
  '\u200e': '',
  '\u200f': '',
};

const winAnsi = (ch: string) => ch === '\n' || ch === '\t' || (ch >= ' ' && ch <= '\u00ff') || WIN_ANSI_EXTRA.has(ch);
/**
 * What DejaVu Sans covers, broadly: the Latin, Greek, Cyrillic, Armenian and Georgian scripts,
 * punctuation, currency signs and common symbols (https://dejavu-fonts.github.io/Samples.html).
 */
const DEJAVU =
  /[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{Script=Armenian}\p{Script=Georgian}\u0300-\u036f\u2000-\u2bff]/u;

/**
 * Set while a document in DejaVu Sans is drawn. Drawing is synchronous from `newDoc` to
 * `doc.end()` (no await: the QR code is made before), so no other document is drawn meanwhile.
 */
let unicodeDoc = false;

/** Whether any of the texts needs more than Helvetica's WinAnsi and DejaVu has it. */
function needsUnicode(texts: readonly unknown[]): boolean {
  for (const text of texts)
    if (typeof text === 'string')
      for (const ch of text) if (REPLACEMENTS[ch] === undefined && !winAnsi(ch) && DEJAVU.test(ch)) return true;
  return false;
}

/** Text the document's font can show: replacements first, anything still outside it becomes "?". */
export function pdfText(value: string | null | undefined): string {
  let out = '';
  for (const ch of String(value ?? '')) {
    const r = REPLACEMENTS[ch];
    if (r !== undefined) out += r;
    else if (winAnsi(ch) || (unicodeDoc && DEJAVU.test(ch))) out += ch;
    else out += '?';
  }
  return out;
}

/**
 * An amount for the PDF: as formatted for the page, but a currency sign Helvetica cannot show
 * (₹, ₩, ₺...) is replaced by the ISO code, so the amount never reads "?1,000".
 */
export function pdfMoney(formatted: string, currency: string): string {
  const cleaned = formatted.replace(/[\u202f\u2009\u2007]/g, ' ').replace(/\u2212/g, '-');
  const safe = pdfText(cleaned);
  if (!safe.includes('?')) return safe;
  // "₹1,827.50" → "INR 1,827.50", "1.828 ₩" → "1.828 KRW": the code, spaced from the digits.
  const coded = cleaned.replace(/[^\d\s.,'\-\u00a0]+/gu, (m, at: number, all: string) => {
    if (!/\p{Sc}/u.test(m)) return m;
    const before = at > 0 && /\d/.test(all[at - 1]!) ? ' ' : '';
    const after = /\d|-/.test(all[at + m.length] ?? '') ? ' ' : '';
    return `${before}${currency}${after}`;
  });
  return pdfText(coded.trim());
}

export interface InvoicePdfInput {
  view: InvoiceView;
  brand: Brand;
  /** The pay link (text and QR code); null when the invoice cannot be paid online now. */
  payLink: string | null;
  /** The seller's own payment instructions (bank transfer details...), from the branding settings. */
  paymentInstructions: string | null;
  /** What was paid so far, formatted (the view leaves it out when nothing was paid). */
  amountPaid: string;
}

export interface ReceiptPdfInput {
  brand: Brand;
  invoiceNumber: string;
  billingName: string | null;
  billingEmail: string | null;
  amount: string;
  paidOn: string;
  method: string;
  /** "Visa •••• 4242", "ING ...", or null when the provider did not say. */
  methodDetail: string | null;
  reference: string;
  remainingBalance: string;
  currency: string;
  /** E.g. "Refunded 10.00" when part of it went back. */
  note: string | null;
  /** The client's language (the invoice's); English when absent. */
  language?: Language;
}

type Doc = PDFKit.PDFDocument;

function collect(doc: Doc): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
}

/** Every string in a document's input (its view, the receipt's fields), not the logo's bytes. */
function stringsOf(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) stringsOf(item, out);
  else if (value && typeof value === 'object' && !Buffer.isBuffer(value))
    for (const item of Object.values(value)) stringsOf(item, out);
  return out;
}

let dejavu: { regular: Buffer; bold: Buffer } | null = null;
/** DejaVu Sans from the dependency, read once. */
function dejavuFonts(): { regular: Buffer; bold: Buffer } {
  if (!dejavu) {
    const req = createRequire(typeof __filename === 'string' ? __filename : path.join(process.cwd(), 'index.js'));
    const dir = path.join(path.dirname(req.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
    dejavu = {
      regular: readFileSync(path.join(dir, 'DejaVuSans.ttf')),
      bold: readFileSync(path.join(dir, 'DejaVuSans-Bold.ttf')),
    };
  }
  return dejavu;
}

/**
 * A new document whose fonts `Body` / `Body-Bold` are Helvetica, or DejaVu Sans when `texts` need
 * it. Draw it without an await and end it with `finish` (see `unicodeDoc`).
 */
function newDoc(title: string, brand: Brand, texts: readonly unknown[]): Doc {
  unicodeDoc = needsUnicode([title, brand.name, brand.address, brand.taxId, brand.footerText, ...texts]);
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    bufferPages: true,
    info: { Title: pdfText(title), Author: pdfText(brand.name ?? ''), Producer: 'strapi-plugin-invoice-payments' },
  });
  if (unicodeDoc) {
    const fonts = dejavuFonts();
    doc.registerFont('Body', fonts.regular);
    doc.registerFont('Body-Bold', fonts.bold);
  } else {
    doc.registerFont('Body', 'Helvetica');
    doc.registerFont('Body-Bold', 'Helvetica-Bold');
  }
  doc.font('Body');
  return doc;
}

/** Ends the document: its bytes, and the next document decides its fonts afresh. */
function finish(doc: Doc, done: Promise<Buffer>): Promise<Buffer> {
  doc.end();
  unicodeDoc = false;
  return done;
}

const accentOf = (brand: Brand) => brand.accentColor ?? NEUTRAL_ACCENT;

/** The accent bar, the logo and the seller's block; returns the y below them. */
function drawHeader(doc: Doc, brand: Brand, title: string, subtitle: string, t: Translate): number {
  const width = doc.page.width;
  doc.rect(0, 0, width, 6).fill(accentOf(brand));
  let leftBottom = MARGIN;
  if (brand.logo) {
    try {
      doc.image(brand.logo.bytes, MARGIN, MARGIN, { fit: [160, 56] });
      leftBottom = MARGIN + 64;
    } catch {
      // An image PDFKit cannot read (a corrupt file): the seller's name is written below anyway.
    }
  }
  doc.fillColor(INK).font('Body-Bold').fontSize(22).text(pdfText(title), MARGIN, leftBottom);
  doc.font('Body').fontSize(11).fillColor(MUTED).text(pdfText(subtitle));
  leftBottom = doc.y;

  const seller = [brand.address, brand.taxId ? t('pdf.taxId', { taxId: brand.taxId }) : null]
    .filter(Boolean)
    .join('\n');
  const blockX = width / 2 + 20;
  const blockW = width - MARGIN - blockX;
  let y = MARGIN;
  if (brand.name) {
    doc.font('Body-Bold').fontSize(12).fillColor(INK).text(pdfText(brand.name), blockX, y, {
      width: blockW,
      align: 'right',
    });
    y = doc.y;
  }
  if (seller) {
    doc.font('Body').fontSize(9.5).fillColor(MUTED).text(pdfText(seller), blockX, y, {
      width: blockW,
      align: 'right',
    });
    y = doc.y;
  }
  return Math.max(leftBottom, y) + 18;
}

/** A footer on every page: the seller's footer text and "Page n of m". */
function drawFooters(doc: Doc, brand: Brand, t: Translate): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i += 1) {
    doc.switchToPage(i);
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0; // writing below the margin must not open a new page
    const y = doc.page.height - 40;
    doc
      .moveTo(MARGIN, y - 8)
      .lineTo(doc.page.width - MARGIN, y - 8)
      .lineWidth(0.5)
      .strokeColor(LINE)
      .stroke();
    doc.font('Body').fontSize(8).fillColor(MUTED);
    if (brand.footerText)
      doc.text(pdfText(brand.footerText.replace(/\s*\n\s*/g, ' · ')), MARGIN, y, {
        width: doc.page.width - 2 * MARGIN - 80,
        lineBreak: false,
        ellipsis: true,
      });
    doc.text(
      pdfText(t('pdf.page', { page: i - range.start + 1, pages: range.count })),
      doc.page.width - MARGIN - 80,
      y,
      {
        width: 80,
        align: 'right',
        lineBreak: false,
      },
    );
    doc.page.margins.bottom = bottom;
  }
}

/** Label/value pairs in two columns at `x`, right-aligned values; returns the y below them. */
function drawPairs(
  doc: Doc,
  pairs: Array<[string, string, boolean?]>,
  x: number,
  y: number,
  width: number,
  labelWidth: number,
): number {
  for (const [label, value, strong] of pairs) {
    const font = strong ? 'Body-Bold' : 'Body';
    doc
      .font(font)
      .fontSize(strong ? 11.5 : 10)
      .fillColor(strong ? INK : MUTED);
    const h = Math.max(
      doc.heightOfString(pdfText(label), { width: labelWidth }),
      doc.heightOfString(value, { width: width - labelWidth }),
    );
    doc.text(pdfText(label), x, y, { width: labelWidth });
    doc.fillColor(INK).text(value, x + labelWidth, y, { width: width - labelWidth, align: 'right' });
    y += h + 5;
  }
  return y;
}

function drawQr(doc: Doc, text: string, x: number, y: number, size: number): void {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const n = qr.modules.size;
  const quiet = 2;
  const cell = size / (n + 2 * quiet);
  doc.rect(x, y, size, size).fill('#ffffff');
  doc.fillColor('#000000');
  for (let r = 0; r < n; r += 1)
    for (let c = 0; c < n; c += 1)
      if (qr.modules.data[r * n + c]) doc.rect(x + (c + quiet) * cell, y + (r + quiet) * cell, cell, cell);
  doc.fill('#000000');
}

/** The invoice as a PDF: seller, client, number, dates, lines, totals, how to pay, QR code. */
export async function renderInvoicePdf(input: InvoicePdfInput): Promise<Buffer> {
  const { view: v, brand } = input;
  const t = translator(v.language ?? 'en');
  const doc = newDoc(t('pdf.invoiceTitle', { number: v.number }), brand, [
    ...stringsOf(v),
    input.paymentInstructions,
    input.amountPaid,
  ]);
  const done = collect(doc);
  const money = (s: string | null) => (s === null ? '' : pdfMoney(s, v.currency));
  const width = doc.page.width;
  const contentW = width - 2 * MARGIN;
  let y = drawHeader(doc, brand, t('pdf.invoice'), t('pdf.subtitle', { number: v.number, status: v.stateLabel }), t);

  // Billed to (left) and the dates (right).
  const billed = [v.billingName, v.billingEmail].filter(Boolean).join('\n');
  const top = y;
  if (billed) {
    doc
      .font('Body-Bold')
      .fontSize(9)
      .fillColor(MUTED)
      .text(pdfText(t('pdf.billedTo')), MARGIN, y);
    doc
      .font('Body')
      .fontSize(10.5)
      .fillColor(INK)
      .text(pdfText(billed), MARGIN, doc.y + 2, { width: 240 });
    y = doc.y;
  }
  const dates: Array<[string, string]> = [[t('pdf.invoiceNumber'), pdfText(v.number)]];
  if (v.issueDate) dates.push([t('pdf.issueDate'), pdfText(v.issueDate)]);
  if (v.dueDate) dates.push([t('pdf.dueDate'), pdfText(v.dueDate)]);
  dates.push([t('pdf.currency'), v.currency]);
  y = Math.max(y, drawPairs(doc, dates, width / 2 + 20, top, width / 2 - 20 - MARGIN, 110)) + 16;

  // Line items; the header row is repeated on every page the table runs onto.
  const cols = {
    desc: MARGIN,
    qty: MARGIN + contentW * 0.55,
    unit: MARGIN + contentW * 0.66,
    amount: MARGIN + contentW * 0.83,
  };
  const colW = {
    desc: contentW * 0.55 - 10,
    qty: contentW * 0.11 - 6,
    unit: contentW * 0.17 - 6,
    amount: contentW * 0.17,
  };
  const bottomLimit = () => doc.page.height - MARGIN - 40;
  const tableHeader = (at: number) => {
    doc.font('Body-Bold').fontSize(9).fillColor(MUTED);
    doc.text(pdfText(t('pdf.description')), cols.desc, at, { width: colW.desc });
    doc.text(pdfText(t('pdf.quantity')), cols.qty, at, { width: colW.qty, align: 'right' });
    doc.text(pdfText(t('pdf.unitPrice')), cols.unit, at, { width: colW.unit, align: 'right' });
    doc.text(pdfText(t('pdf.amount')), cols.amount, at, { width: colW.amount, align: 'right' });
    const below = at + 14;
    doc
      .moveTo(MARGIN, below)
      .lineTo(width - MARGIN, below)
      .lineWidth(1.2)
      .strokeColor(accentOf(brand))
      .stroke();
    return below + 6;
  };
  y = tableHeader(y);
  doc.font('Body').fontSize(10);
  for (const line of v.lines) {
    const desc = pdfText(line.description);
    doc.font('Body').fontSize(10);
    const h = Math.max(doc.heightOfString(desc, { width: colW.desc }), 12);
    if (y + h > bottomLimit()) {
      doc.addPage();
      y = tableHeader(MARGIN);
      doc.font('Body').fontSize(10);
    }
    doc.fillColor(INK).text(desc, cols.desc, y, { width: colW.desc });
    doc.text(pdfText(line.quantity), cols.qty, y, { width: colW.qty, align: 'right' });
    doc.text(money(line.unitAmount), cols.unit, y, { width: colW.unit, align: 'right' });
    doc.text(money(line.amount), cols.amount, y, { width: colW.amount, align: 'right' });
    y += h + 6;
    doc
      .moveTo(MARGIN, y - 3)
      .lineTo(width - MARGIN, y - 3)
      .lineWidth(0.5)
      .strokeColor(LINE)
      .stroke();
  }

  // Totals, right-aligned under the table.
  const totals: Array<[string, string, boolean?]> = [[t('pdf.subtotal'), money(v.subtotal)]];
  if (v.discount) totals.push([t('pdf.discount'), money(v.discount)]);
  if (v.tax) totals.push([v.taxRate ? t('pdf.taxRate', { rate: pdfText(v.taxRate) }) : t('pdf.tax'), money(v.tax)]);
  totals.push([t('pdf.total'), money(v.total), true]);
  totals.push([t('pdf.amountPaid'), money(input.amountPaid)]);
  if (v.amountRefunded) totals.push([t('pdf.refunded'), money(v.amountRefunded)]);
  totals.push([t('pdf.balanceDue'), money(v.balanceDue), true]);
  const totalsH = totals.length * 20 + 10;
  if (y + totalsH > bottomLimit()) {
    doc.addPage();
    y = MARGIN;
  }
  y = drawPairs(doc, totals, width / 2 + 20, y + 10, width / 2 - 20 - MARGIN, 120) + 14;

  if (v.notes) {
    doc.font('Body').fontSize(10);
    const h = doc.heightOfString(pdfText(v.notes), { width: contentW }) + 16;
    if (y + h > bottomLimit()) {
      doc.addPage();
      y = MARGIN;
    }
    doc
      .font('Body-Bold')
      .fontSize(9)
      .fillColor(MUTED)
      .text(pdfText(t('pdf.notes')), MARGIN, y);
    doc
      .font('Body')
      .fontSize(10)
      .fillColor(INK)
      .text(pdfText(v.notes), MARGIN, doc.y + 2, { width: contentW });
    y = doc.y + 14;
  }

  // How to pay: the pay link as text and as a QR code, and the seller's own instructions.
  if (input.payLink || input.paymentInstructions) {
    const qrSize = input.payLink ? 96 : 0;
    const textW = contentW - (qrSize ? qrSize + 16 : 0);
    doc.font('Body').fontSize(10);
    const payOnline = `${t('pdf.payOnline')}\n`;
    const body = [input.payLink ? `${payOnline}${input.payLink}` : null, input.paymentInstructions]
      .filter(Boolean)
      .join('\n\n');
    const h = Math.max(qrSize, doc.heightOfString(pdfText(body), { width: textW }) + 18);
    if (y + h > bottomLimit()) {
      doc.addPage();
      y = MARGIN;
    }
    doc
      .font('Body-Bold')
      .fontSize(9)
      .fillColor(MUTED)
      .text(pdfText(t('pdf.paymentInstructions')), MARGIN, y);
    const textTop = doc.y + 2;
    doc.font('Body').fontSize(10).fillColor(INK).text(pdfText(body), MARGIN, textTop, { width: textW });
    if (input.payLink) {
      const linkY = textTop + doc.heightOfString(pdfText(payOnline), { width: textW }) - 12;
      doc.link(MARGIN, linkY, textW, 14, input.payLink);
      drawQr(doc, input.payLink, width - MARGIN - qrSize, y, qrSize);
    }
  }
  drawFooters(doc, brand, t);
  return finish(doc, done);
}

/** A receipt for one successful payment. */
export async function renderReceiptPdf(input: ReceiptPdfInput): Promise<Buffer> {
  const { brand } = input;
  const t = translator(input.language ?? 'en');
  const doc = newDoc(t('pdf.receiptTitle', { number: input.invoiceNumber }), brand, stringsOf(input));
  const done = collect(doc);
  const width = doc.page.width;
  let y = drawHeader(doc, brand, t('pdf.receipt'), t('pdf.receiptSubtitle', { number: input.invoiceNumber }), t);
  const billed = [input.billingName, input.billingEmail].filter(Boolean).join('\n');
  if (billed) {
    doc
      .font('Body-Bold')
      .fontSize(9)
      .fillColor(MUTED)
      .text(pdfText(t('pdf.receivedFrom')), MARGIN, y);
    doc
      .font('Body')
      .fontSize(10.5)
      .fillColor(INK)
      .text(pdfText(billed), MARGIN, doc.y + 2, { width: 260 });
    y = doc.y + 16;
  }
  const money = (s: string) => pdfMoney(s, input.currency);
  const pairs: Array<[string, string, boolean?]> = [
    [t('pdf.amountPaid'), money(input.amount), true],
    [t('pdf.paidOn'), pdfText(input.paidOn)],
    [t('pdf.method'), pdfText(input.method)],
  ];
  if (input.methodDetail) pairs.push([t('pdf.methodDetail'), pdfText(input.methodDetail)]);
  pairs.push([t('pdf.reference'), pdfText(input.reference)]);
  pairs.push([t('pdf.invoiceLabel'), pdfText(input.invoiceNumber)]);
  pairs.push([t('pdf.remainingBalance'), money(input.remainingBalance), true]);
  y = drawPairs(doc, pairs, MARGIN, y, width - 2 * MARGIN, 200) + 12;
  if (input.note) doc.font('Body').fontSize(10).fillColor(MUTED).text(pdfText(input.note), MARGIN, y);
  doc
    .font('Body')
    .fontSize(10)
    .fillColor(INK)
    .text(pdfText(t('pdf.thanks')), MARGIN, doc.y + 16);
  drawFooters(doc, brand, t);
  return finish(doc, done);
}
