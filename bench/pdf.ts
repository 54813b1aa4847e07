/**
 * Invoice PDF rendering: `npx tsx bench/pdf.ts [--lines=100] [--runs=20]`. Renders an invoice of
 * `lines` line items with a logo, accent colour and QR code (server/src/documents/pdf.ts, the code
 * the pay page's PDF route runs), first cold, then `runs` times, then once through the version
 * cache (server/src/documents/cache.ts) as a repeated download is served. Prints JSON and writes
 * bench/results/pdf-latest.json; docs/performance.md quotes it. No database, no Strapi.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { formatMinor } from '../server/src/domain/money';
import { PdfCache } from '../server/src/documents/cache';
import { renderInvoicePdf, type InvoicePdfInput } from '../server/src/documents/pdf';
import type { InvoiceView } from '../server/src/pages/view';

const arg = (name: string, fallback: number) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);

/** A 200×60 PNG in one colour, made here so the bench needs no file. */
function png(): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const [w, h] = [200, 60];
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(w * 3, 0x2f)]);
  const raw = Buffer.concat(Array.from({ length: h }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function input(lines: number): InvoicePdfInput {
  const money = (minor: number) => formatMinor(minor, 'EUR', 'de-DE');
  const view: InvoiceView = {
    documentId: 'bench0000000000000000000',
    number: 'INV-BENCH-100',
    state: 'sent',
    stateLabel: 'Due',
    currency: 'EUR',
    exponent: 2,
    locale: 'de-DE',
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
    pay: null,
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
      logo: { bytes: png(), mime: 'image/png', hash: 'bench' },
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
  await cache.get('v1', () => renderInvoicePdf(data));
  const cachedMs = performance.now() - t;
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
    cachedMs: round(cachedMs),
  };
  console.log(JSON.stringify(result, null, 2));
  writeFileSync(path.join(__dirname, 'results', 'pdf-latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  if (process.argv.includes('--out')) writeFileSync('/tmp/bench-invoice.pdf', first);
}

void main();
