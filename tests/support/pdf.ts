import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import type { Response } from 'superagent';

/**
 * Reading the PDFs the plugin renders, as a person would: poppler's pdftotext (the text) and
 * pdftoppm (an image to look at). scripts/ensure-pdf-tools.sh installs Debian's poppler-utils.
 */
export function pdfToText(pdf: Buffer): string {
  if (pdf.subarray(0, 5).toString('latin1') !== '%PDF-') throw new Error('not a PDF');
  // pdftotext wraps right-to-left text in direction marks (U+202A-U+202E); a reader sees none.
  return execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', '-', '-'], { input: pdf })
    .toString('utf8')
    .replace(/[\u202a-\u202e]/g, '');
}

/** The words of page 1 as pdftotext finds them, with their left edge (points from the left). */
export function pdfWords(pdf: Buffer): Array<{ text: string; xMin: number; yMin: number }> {
  const html = execFileSync('pdftotext', ['-bbox', '-f', '1', '-l', '1', '-enc', 'UTF-8', '-', '-'], {
    input: pdf,
  }).toString('utf8');
  const words: Array<{ text: string; xMin: number; yMin: number }> = [];
  for (const m of html.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)<\/word>/g))
    words.push({
      xMin: Number(m[1]),
      yMin: Number(m[2]),
      text: m[3]!.replace(/&amp;/g, '&').replace(/[\u202a-\u202e]/g, ''),
    });
  return words;
}

/**
 * How many different glyphs of the PDF's embedded fonts stand for `text` (their ToUnicode maps, as
 * PDFKit writes them). An Arabic letter drawn in its joining forms (initial, medial, final) is
 * several glyphs for one character; unshaped, it is one.
 */
export function glyphsFor(pdf: Buffer, text: string): number {
  let count = 0;
  const raw = pdf.toString('latin1');
  for (const m of raw.matchAll(/stream\r?\n([\s\S]*?)\r?\nendstream/g)) {
    let body: string;
    try {
      body = inflateSync(Buffer.from(m[1]!, 'latin1')).toString('latin1');
    } catch {
      continue; // not a compressed stream
    }
    if (!body.includes('beginbfrange')) continue;
    for (const range of body.matchAll(/<[0-9a-f]+> <[0-9a-f]+> \[([^\]]*)\]/g))
      for (const entry of range[1]!.matchAll(/<([0-9a-f ]*)>/g)) {
        const units = entry[1]!
          .split(' ')
          .filter(Boolean)
          .map((h) => parseInt(h, 16));
        if (String.fromCharCode(...units) === text) count += 1;
      }
  }
  return count;
}

/** Page `page` of the PDF as a PNG file at `outFile`. */
export function pdfToPng(pdf: Buffer, outFile: string, page = 1, dpi = 80): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'pdf-'));
  try {
    const input = path.join(dir, 'in.pdf');
    writeFileSync(input, pdf);
    execFileSync('pdftoppm', [
      '-png',
      '-r',
      String(dpi),
      '-f',
      String(page),
      '-l',
      String(page),
      '-singlefile',
      input,
      path.join(dir, 'out'),
    ]);
    writeFileSync(outFile, readFileSync(path.join(dir, 'out.png')));
    return outFile;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A PNG of one colour (`rgb` 0xRRGGBB), made here so tests and benches need no image file. */
export function solidPng(width: number, height: number, rgb = 0x2f2f2f): Buffer {
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
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const pixel = Buffer.from([(rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff]);
  const row = Buffer.concat([Buffer.from([0]), ...Array.from({ length: width }, () => pixel)]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(Array.from({ length: height }, () => row)))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A supertest parser that keeps the body as bytes (`.buffer(true).parse(asBytes)`): PDFs, images. */
export function asBytes(res: Response, cb: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
}
