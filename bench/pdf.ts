/**
 * Invoice PDF rendering: `npx tsx bench/pdf.ts [--lines=100] [--runs=20]`. Renders an invoice of
 * `lines` line items with a logo, accent colour and QR code (server/src/documents/pdf.ts, the code
 * the pay page's PDF route runs), first cold, then `runs` times, then 100 times through the version
 * cache (server/src/documents/cache.ts) as a repeated download is served. Prints JSON and writes
 * bench/results/pdf-latest.json; docs/performance.md quotes it. No database, no Strapi.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { formatMinor } from '../server/src/domain/money';
import { PdfCache } from '../server/src/documents/cache';
import { renderInvoicePdf, type InvoicePdfInput } from '../server/src/documents/pdf';
import type { InvoiceView } from '../server/src/pages/view';
import { solidPng } from '../tests/support/pdf';

const arg = (name: string, fallback: number) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);

function input(lines: number): InvoicePdfInput {
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
    billingName: 'Acme GmbH',
    billingEmail: 'billing@acme.example',
    issueDate: '30.11.2026',
    dueDate: '14.12.2026',
    notes: 'Thank you for your business.',
    lines: Array.from({ length: lines }, (_, i) => ({
      description: `Consulting, work package ${i + 1}: analysis, implementation and review`,
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
      name: 'Example Seller GmbH',
      address: 'Hauptstraße 1\n10115 Berlin',
      taxId: 'DE123456789',
      footerText: 'Example Seller GmbH · Amtsgericht Berlin HRB 12345',
      accentColor: '#1f6feb',
      logo: { bytes: solidPng(200, 60), mime: 'image/png', hash: 'bench' },
    },
  };
}

async function main() {
  const lines = arg('lines', 100);
  const runs = arg('runs', 20);
  const data = input(lines);
  let t = performance.now();
  const first = await renderInvoicePdf(data);
  const coldMs = performance.now() - t;
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    t = performance.now();
    await renderInvoicePdf(data);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const cache = new PdfCache();
  await cache.get('v1', () => renderInvoicePdf(data));
  t = performance.now();
  for (let i = 0; i < 100; i += 1) await cache.get('v1', () => renderInvoicePdf(data));
  const cachedMs = (performance.now() - t) / 100;
  const round = (n: number) => Math.round(n * 10) / 10;
  const result = {
    when: new Date().toISOString(),
    node: process.version,
    lines,
    runs,
    bytes: first.length,
    coldMs: round(coldMs),
    medianMs: round(times[Math.floor(times.length / 2)]!),
    p95Ms: round(times[Math.min(times.length - 1, Math.floor(times.length * 0.95))]!),
    cachedMs: Math.round(cachedMs * 1000) / 1000,
  };
  console.log(JSON.stringify(result, null, 2));
  writeFileSync(path.join(__dirname, 'results', 'pdf-latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  if (process.argv.includes('--out')) writeFileSync('/tmp/bench-invoice.pdf', first);
}

void main();
