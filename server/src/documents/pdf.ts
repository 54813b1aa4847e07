/**
 * Invoice and receipt PDFs, drawn with PDFKit (https://pdfkit.org): text, vector lines and the
 * pay link's QR code as vector squares, no headless browser. Plain data in, bytes out: amounts
 * and dates arrive formatted (services/pages buildView, the pay page's own formatting), so the
 * PDF shows exactly what the pay page shows. No Strapi import here.
 *
 * Fonts (documents/fonts.ts): PDFKit's built-in Helvetica (nothing embedded, the smallest file)
 * while every text is in the Latin-1/WinAnsi characters it covers; DejaVu Sans for other Latin,
 * Greek, Cyrillic, Arabic, Hebrew...; Noto Sans CJK for Chinese, Japanese and Korean text. Each
 * embedded as a subset of the glyphs used. Arabic and Hebrew are shaped and put right to left
 * (documents/text.ts). A character no shipped font has is written as "?", and a currency sign the
 * document's font lacks as its ISO code; see `pdfText` and `pdfMoney`.
 */
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import type { Brand } from '../branding/brand';
import { translator, type Language, type Translate } from '../i18n';
import type { InvoiceView } from '../pages/view';
import { cleanText, hasGlyph, REPLACEMENTS } from './fonts';
import { Pen } from './text';

const INK = '#1f2430';
const MUTED = '#5d6475';
const LINE = '#e3e6ec';
const NEUTRAL_ACCENT = '#1f2430';
const MARGIN = 50;

/** Text as the PDF prints it: typographic replacements made, a character no shipped font has as "?". */
export function pdfText(value: string | null | undefined): string {
  return cleanText(value);
}

/**
 * An amount for the PDF: as formatted for the page, but a currency sign the document's font
 * (`base`) cannot show (₹, ₩, ￥ in Helvetica...) is replaced by the ISO code, so the amount never
 * reads "?1,000" and never pulls in a CJK font for one sign.
 */
export function pdfMoney(formatted: string, currency: string, base: 'helvetica' | 'dejavu' = 'helvetica'): string {
  const cleaned = [...formatted].map((ch) => REPLACEMENTS[ch] ?? ch).join('');
  if ([...cleaned].every((ch) => hasGlyph(base, 'regular', ch))) return cleaned;
  // "₹1,827.50" → "INR 1,827.50", "1.828 ₩" → "1.828 KRW": the code, spaced from the digits.
  const coded = cleaned.replace(/[^\d\s.,'\-\u00a0]+/gu, (m, at: number, all: string) => {
    if (!/\p{Sc}/u.test(m)) return m;
    const before = at > 0 && /\d/.test(all[at - 1]!) ? ' ' : '';
    const after = /\d|-/.test(all[at + m.length] ?? '') ? ' ' : '';
    return `${before}${currency}${after}`;
  });
  return cleanText(coded.trim());
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

/**
 * A new document and the pen that writes its text, in Helvetica or DejaVu Sans as `texts` need
 * (documents/fonts.ts).
 */
function newDoc(title: string, brand: Brand, texts: readonly unknown[]): { doc: Doc; pen: Pen } {
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    bufferPages: true,
    // PDFKit writes these as UTF-16: any name, in any script.
    info: { Title: cleanText(title), Author: cleanText(brand.name ?? ''), Producer: 'strapi-plugin-invoice-payments' },
  });
  const pen = new Pen(doc, [title, brand.name, brand.address, brand.taxId, brand.footerText, ...texts]);
  return { doc, pen };
}

const accentOf = (brand: Brand) => brand.accentColor ?? NEUTRAL_ACCENT;

/** The accent bar, the logo and the seller's block; returns the y below them. */
function drawHeader(pen: Pen, brand: Brand, title: string, subtitle: string, t: Translate): number {
  const { doc } = pen;
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
  pen.style('bold', 22, INK).text(title, MARGIN, leftBottom);
  pen.style('regular', 11, MUTED).text(subtitle);
  leftBottom = doc.y;

  const seller = [brand.address, brand.taxId ? t('pdf.taxId', { taxId: brand.taxId }) : null]
    .filter(Boolean)
    .join('\n');
  const blockX = width / 2 + 20;
  const blockW = width - MARGIN - blockX;
  let y = MARGIN;
  if (brand.name) {
    pen.style('bold', 12, INK).text(brand.name, blockX, y, { width: blockW, align: 'right' });
    y = doc.y;
  }
  if (seller) {
    pen.style('regular', 9.5, MUTED).text(seller, blockX, y, { width: blockW, align: 'right' });
    y = doc.y;
  }
  return Math.max(leftBottom, y) + 18;
}

/** A footer on every page: the seller's footer text and "Page n of m". */
function drawFooters(pen: Pen, brand: Brand, t: Translate): void {
  const { doc } = pen;
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
    pen.style('regular', 8, MUTED);
    if (brand.footerText)
      pen.text(brand.footerText.replace(/\s*\n\s*/g, ' · '), MARGIN, y, {
        width: doc.page.width - 2 * MARGIN - 80,
        lineBreak: false,
        ellipsis: true,
      });
    pen.text(t('pdf.page', { page: i - range.start + 1, pages: range.count }), doc.page.width - MARGIN - 80, y, {
      width: 80,
      align: 'right',
      lineBreak: false,
    });
    doc.page.margins.bottom = bottom;
  }
}

/** Label/value pairs in two columns at `x`, right-aligned values; returns the y below them. */
function drawPairs(
  pen: Pen,
  pairs: Array<[string, string, boolean?]>,
  x: number,
  y: number,
  width: number,
  labelWidth: number,
): number {
  for (const [label, value, strong] of pairs) {
    pen.style(strong ? 'bold' : 'regular', strong ? 11.5 : 10, strong ? INK : MUTED);
    const h = Math.max(pen.height(label, { width: labelWidth }), pen.height(value, { width: width - labelWidth }));
    pen.text(label, x, y, { width: labelWidth });
    pen.doc.fillColor(INK);
    pen.text(value, x + labelWidth, y, { width: width - labelWidth, align: 'right' });
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
  const { doc, pen } = newDoc(t('pdf.invoiceTitle', { number: v.number }), brand, [
    ...stringsOf(v),
    input.paymentInstructions,
    input.amountPaid,
  ]);
  const done = collect(doc);
  const money = (s: string | null) => (s === null ? '' : pdfMoney(s, v.currency, pen.base));
  const width = doc.page.width;
  const contentW = width - 2 * MARGIN;
  let y = drawHeader(pen, brand, t('pdf.invoice'), t('pdf.subtitle', { number: v.number, status: v.stateLabel }), t);

  // Billed to (left) and the dates (right).
  const billed = [v.billingName, v.billingEmail].filter(Boolean).join('\n');
  const top = y;
  if (billed) {
    pen.style('bold', 9, MUTED).text(t('pdf.billedTo'), MARGIN, y);
    pen.style('regular', 10.5, INK).text(billed, MARGIN, doc.y + 2, { width: 240 });
    y = doc.y;
  }
  const dates: Array<[string, string]> = [[t('pdf.invoiceNumber'), v.number]];
  if (v.issueDate) dates.push([t('pdf.issueDate'), v.issueDate]);
  if (v.dueDate) dates.push([t('pdf.dueDate'), v.dueDate]);
  dates.push([t('pdf.currency'), v.currency]);
  y = Math.max(y, drawPairs(pen, dates, width / 2 + 20, top, width / 2 - 20 - MARGIN, 110)) + 16;

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
    pen.style('bold', 9, MUTED);
    pen.text(t('pdf.description'), cols.desc, at, { width: colW.desc });
    pen.text(t('pdf.quantity'), cols.qty, at, { width: colW.qty, align: 'right' });
    pen.text(t('pdf.unitPrice'), cols.unit, at, { width: colW.unit, align: 'right' });
    pen.text(t('pdf.amount'), cols.amount, at, { width: colW.amount, align: 'right' });
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
  for (const line of v.lines) {
    pen.style('regular', 10);
    const h = Math.max(pen.height(line.description, { width: colW.desc }), 12);
    if (y + h > bottomLimit()) {
      doc.addPage();
      y = tableHeader(MARGIN);
      pen.style('regular', 10);
    }
    doc.fillColor(INK);
    pen.text(line.description, cols.desc, y, { width: colW.desc });
    pen.text(line.quantity, cols.qty, y, { width: colW.qty, align: 'right' });
    pen.text(money(line.unitAmount), cols.unit, y, { width: colW.unit, align: 'right' });
    pen.text(money(line.amount), cols.amount, y, { width: colW.amount, align: 'right' });
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
  if (v.tax) totals.push([v.taxRate ? t('pdf.taxRate', { rate: v.taxRate }) : t('pdf.tax'), money(v.tax)]);
  totals.push([t('pdf.total'), money(v.total), true]);
  totals.push([t('pdf.amountPaid'), money(input.amountPaid)]);
  if (v.amountRefunded) totals.push([t('pdf.refunded'), money(v.amountRefunded)]);
  totals.push([t('pdf.balanceDue'), money(v.balanceDue), true]);
  const totalsH = totals.length * 20 + 10;
  if (y + totalsH > bottomLimit()) {
    doc.addPage();
    y = MARGIN;
  }
  y = drawPairs(pen, totals, width / 2 + 20, y + 10, width / 2 - 20 - MARGIN, 120) + 14;

  if (v.notes) {
    pen.style('regular', 10);
    const h = pen.height(v.notes, { width: contentW }) + 16;
    if (y + h > bottomLimit()) {
      doc.addPage();
      y = MARGIN;
    }
    pen.style('bold', 9, MUTED).text(t('pdf.notes'), MARGIN, y);
    pen.style('regular', 10, INK).text(v.notes, MARGIN, doc.y + 2, { width: contentW });
    y = doc.y + 14;
  }

  // How to pay: the pay link as text and as a QR code, and the seller's own instructions.
  if (input.payLink || input.paymentInstructions) {
    const qrSize = input.payLink ? 96 : 0;
    const textW = contentW - (qrSize ? qrSize + 16 : 0);
    pen.style('regular', 10);
    const payOnline = `${t('pdf.payOnline')}\n`;
    const body = [input.payLink ? `${payOnline}${input.payLink}` : null, input.paymentInstructions]
      .filter(Boolean)
      .join('\n\n');
    const h = Math.max(qrSize, pen.height(body, { width: textW }) + 18);
    if (y + h > bottomLimit()) {
      doc.addPage();
      y = MARGIN;
    }
    pen.style('bold', 9, MUTED).text(t('pdf.paymentInstructions'), MARGIN, y);
    const textTop = doc.y + 2;
    pen.style('regular', 10, INK).text(body, MARGIN, textTop, { width: textW });
    if (input.payLink) {
      const linkY = textTop + pen.height(payOnline, { width: textW }) - 12;
      doc.link(MARGIN, linkY, textW, 14, input.payLink);
      drawQr(doc, input.payLink, width - MARGIN - qrSize, y, qrSize);
    }
  }
  drawFooters(pen, brand, t);
  doc.end();
  return done;
}

/** A receipt for one successful payment. */
export async function renderReceiptPdf(input: ReceiptPdfInput): Promise<Buffer> {
  const { brand } = input;
  const t = translator(input.language ?? 'en');
  const { doc, pen } = newDoc(t('pdf.receiptTitle', { number: input.invoiceNumber }), brand, stringsOf(input));
  const done = collect(doc);
  const width = doc.page.width;
  let y = drawHeader(pen, brand, t('pdf.receipt'), t('pdf.receiptSubtitle', { number: input.invoiceNumber }), t);
  const billed = [input.billingName, input.billingEmail].filter(Boolean).join('\n');
  if (billed) {
    pen.style('bold', 9, MUTED).text(t('pdf.receivedFrom'), MARGIN, y);
    pen.style('regular', 10.5, INK).text(billed, MARGIN, doc.y + 2, { width: 260 });
    y = doc.y + 16;
  }
  const money = (s: string) => pdfMoney(s, input.currency, pen.base);
  const pairs: Array<[string, string, boolean?]> = [
    [t('pdf.amountPaid'), money(input.amount), true],
    [t('pdf.paidOn'), input.paidOn],
    [t('pdf.method'), input.method],
  ];
  if (input.methodDetail) pairs.push([t('pdf.methodDetail'), input.methodDetail]);
  pairs.push([t('pdf.reference'), input.reference]);
  pairs.push([t('pdf.invoiceLabel'), input.invoiceNumber]);
  pairs.push([t('pdf.remainingBalance'), money(input.remainingBalance), true]);
  y = drawPairs(pen, pairs, MARGIN, y, width - 2 * MARGIN, 200) + 12;
  if (input.note) pen.style('regular', 10, MUTED).text(input.note, MARGIN, y);
  pen.style('regular', 10, INK).text(t('pdf.thanks'), MARGIN, doc.y + 16);
  drawFooters(pen, brand, t);
  doc.end();
  return done;
}
