/**
 * Invoice PDF rendering: `npx tsx bench/pdf.ts [--lines=100] [--runs=20]`. Renders an invoice of
 * `lines` line items with a logo, accent colour and QR code (server/src/documents/pdf.ts, the code
 * the pay page's PDF route runs), first cold, then `runs` times, then 100 times through the version
 * cache (server/src/documents/cache.ts) as a repeated download is served. The same invoice three
 * ways: Western European text (Helvetica, nothing embedded), the seller, client and every line in
 * Chinese, Japanese and Korean (Noto Sans CJK embedded), and in Arabic and Hebrew (DejaVu Sans,
 * shaped and right to left). "Cold" is each kind's first render in the process: for CJK it
 * includes reading its fonts. Prints JSON and writes bench/results/pdf-latest.json;
 * docs/performance.md quotes it. No database, no Strapi.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { formatMinor } from '../server/src/domain/money';
import { PdfCache } from '../server/src/documents/cache';
import { renderInvoicePdf, type InvoicePdfInput } from '../server/src/documents/pdf';
import type { InvoiceView } from '../server/src/pages/view';
import { solidPng } from '../tests/support/pdf';

const arg = (name: string, fallback: number) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);

type Script = 'latin' | 'cjk' | 'rtl';

/** Each kind's seller, client and line descriptions (the rest of the invoice is the same). */
const TEXTS: Record<Script, { seller: string; address: string; client: string; line: (i: number) => string }> = {
  latin: {
    seller: 'Example Seller GmbH',
    address: 'Hauptstraße 1\n10115 Berlin',
    client: 'Acme GmbH',
    line: (i) => `Consulting, work package ${i + 1}: analysis, implementation and review`,
  },
  cjk: {
    seller: '上海贸易有限公司',
    address: '上海市浦东新区世纪大道100号\n200120',
    client: '山田太郎株式会社',
    line: (i) =>
      [
        `咨询服务，工作包 ${i + 1}：需求分析、系统设计、实施和审查`,
        `ソフトウェア保守 ${i + 1}：分析、実装およびレビュー`,
        `컨설팅 작업 패키지 ${i + 1}: 분석, 구현 및 검토`,
      ][i % 3]!,
  },
  rtl: {
    seller: 'شركة المثال للتجارة',
    address: 'شارع الملك فهد 1\nالرياض 12211',
    client: 'חברה לדוגמה בע"מ',
    line: (i) =>
      [
        `خدمات استشارية، حزمة العمل ${i + 1}: التحليل والتنفيذ والمراجعة`,
        `שירותי ייעוץ, חבילת עבודה ${i + 1}: ניתוח ויישום`,
      ][i % 2]!,
  },
};

function input(lines: number, script: Script = 'latin'): InvoicePdfInput {
  const texts = TEXTS[script];
  const money = (minor: number) => formatMinor(minor, 'EUR', 'de-DE');
  const view: InvoiceView = {
    documentId: 'bench0000000000000000000',
    number: 'INV-BENCH-100',
    state: 'sent',
    stateLabel: 'Offen',
    currency: 'EUR',
    exponent: 2,
    locale: 'de-DE',
    language: 'de',
    billingName: texts.client,
    billingEmail: 'billing@acme.example',
    issueDate: '30.11.2026',
    dueDate: '14.12.2026',
    notes: 'Thank you for your business.',
    lines: Array.from({ length: lines }, (_, i) => ({
      description: texts.line(i),
      quantity: String((i % 5) + 1),
      unitAmount: money(12_500 + i),
      amount: money((12_500 + i) * ((i % 5) + 1)),
    })),
    subtotal: money(3_775_000),
    discount: `−${money(10_000)}`,
    tax: money(715_350),
    taxRate: '19 %',
    total: money(4_480_350),
    amountPaid: null,
    amountRefunded: null,
    balanceDue: money(4_480_350),
    balanceDueMinor: 4_480_350,
    notice: null,
    pending: null,
    pay: null,
    seller: null,
  };
  return {
    view,
    amountPaid: money(0),
    payLink: 'https://billing.example.com/invoice-payments/pay/AbCdEfGhIjKlMnOpQrStUvWxYz012345',
    paymentInstructions: 'Or by bank transfer: IBAN DE89 3704 0044 0532 0130 00, reference INV-BENCH-100.',
    brand: {
      name: texts.seller,
      address: texts.address,
      taxId: 'DE123456789',
      footerText: 'Example Seller GmbH · Amtsgericht Berlin HRB 12345',
      accentColor: '#1f6feb',
      logo: { bytes: solidPng(200, 60), mime: 'image/png', hash: 'bench' },
    },
  };
}

async function measure(lines: number, runs: number, script: Script) {
  const data = input(lines, script);
  let t = performance.now();
  const first = await renderInvoicePdf(data);
  const coldMs = performance.now() - t;
  const times: number[] = [];
  // CPU time of the process per render too: on a shared machine the wall clock also counts the
  // time other jobs held the cores.
  const cpu: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    t = performance.now();
    const c = process.cpuUsage();
    await renderInvoicePdf(data);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const cache = new PdfCache();
  await cache.get('v1', () => renderInvoicePdf(data));
  t = performance.now();
  for (let i = 0; i < 100; i += 1) await cache.get('v1', () => renderInvoicePdf(data));
  const cachedMs = (performance.now() - t) / 100;
  const round = (n: number) => Math.round(n * 10) / 10;
  if (process.argv.includes('--out')) writeFileSync(`/tmp/bench-invoice-${script}.pdf`, first);
  return {
    bytes: first.length,
    coldMs: round(coldMs),
    medianMs: round(times[Math.floor(times.length / 2)]!),
    p95Ms: round(times[Math.min(times.length - 1, Math.floor(times.length * 0.95))]!),
    medianCpuMs: round(cpu[Math.floor(cpu.length / 2)]!),
    cachedMs: Math.round(cachedMs * 1000) / 1000,
  };
}

async function main() {
  const lines = arg('lines', 100);
  const runs = arg('runs', 20);
  const result = {
    when: new Date().toISOString(),
    node: process.version,
    loadAverage: Math.round(loadavg()[0]! * 10) / 10,
    lines,
    runs,
    // Western European first: its cold render is the process's first PDF (PDFKit's own start-up).
    latin: await measure(lines, runs, 'latin'),
    cjk: await measure(lines, runs, 'cjk'),
    rtl: await measure(lines, runs, 'rtl'),
  };
  console.log(JSON.stringify(result, null, 2));
  writeFileSync(path.join(__dirname, 'results', 'pdf-latest.json'), `${JSON.stringify(result, null, 2)}\n`);
}

void main();
