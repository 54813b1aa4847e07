/**
 * Writing text into a PDFKit document when PDFKit alone would get it wrong: text that needs more
 * than one font (a Chinese name in an otherwise Latin document), and right-to-left text (Arabic,
 * Hebrew). No Strapi import here.
 *
 * PDFKit lays text out with fontkit, which shapes Arabic (its joining forms and ligatures, from the
 * font's OpenType tables) and reverses a run in a right-to-left script, but only for one run at a
 * time: PDFKit cuts every line at each space and lays out each word alone, so the words of an
 * Arabic name come out left to right, and digits or Latin inside Arabic text come out reversed.
 * There is no bidirectional algorithm in either. So for such text this module does what a text
 * engine does:
 * 1. each character gets its font (documents/fonts.ts);
 * 2. the Unicode Bidirectional Algorithm (UAX #9, `bidi-js`) gives each character its level;
 * 3. lines are broken where UAX #14 allows (`linebreak`, the library PDFKit breaks lines with);
 * 4. each line's runs are put in visual order (rule L2, mirrored brackets per L4), and a run in a
 *    right-to-left script is handed to fontkit whole, in logical order, which shapes and reverses it.
 * Text in one font and without right-to-left characters goes to PDFKit unchanged.
 */
import bidiFactory from 'bidi-js';
import LineBreaker from 'linebreak';
import { baseFaceFor, cleanText, faceFor, fontName, registerFace, type FaceChoice, type Weight } from './fonts';

type Doc = PDFKit.PDFDocument;

const bidi = bidiFactory();
/** Letters of right-to-left scripts: such a run is shaped and reversed by fontkit. */
const RTL_LETTER = /[\p{Script=Arabic}\p{Script=Hebrew}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}]/u;
const RTL_TYPES = new Set(['R', 'AL']);

export interface TextOptions {
  width?: number;
  align?: 'left' | 'right' | 'center';
  /** false: one line, never wrapped (with `ellipsis`, cut to `width` with "…"). */
  lineBreak?: boolean;
  ellipsis?: boolean;
}

/** What PDFKit knows of the current font, in 1/1000 of the font size (not in its public types). */
interface FontMetrics {
  ascender: number;
  descender: number;
  lineGap: number;
}
const metricsOf = (doc: Doc): FontMetrics => (doc as unknown as { _font: FontMetrics })._font;

/** A piece of a line in one font and one direction, in visual order. */
interface Run {
  text: string;
  font: string;
  /** Hand the run to fontkit whole (a right-to-left script: it shapes and reverses it). */
  shaped: boolean;
  width: number;
}

interface Line {
  runs: Run[];
  width: number;
  ascent: number;
  height: number;
}

/** A span of a paragraph in one face, logical order (UTF-16 offsets). */
interface Span {
  start: number;
  end: number;
  choice: FaceChoice;
}

/**
 * Writes text in a document with the document's fonts: `style` picks weight, size and colour,
 * `text` and `height` work as PDFKit's `text` and `heightOfString`.
 */
export class Pen {
  readonly base: 'helvetica' | 'dejavu';
  private weight: Weight = 'regular';
  private size = 12;
  private readonly registered = new Set<string>();

  /** `texts`: every text the document will show, to choose its font (Helvetica or DejaVu Sans). */
  constructor(
    readonly doc: Doc,
    texts: readonly unknown[],
  ) {
    this.base = baseFaceFor(texts);
    this.use({ face: this.base, weight: 'regular' });
  }

  style(weight: Weight, size: number, color?: string): this {
    this.weight = weight;
    this.size = size;
    this.use({ face: this.base, weight });
    if (color) this.doc.fillColor(color);
    return this;
  }

  text(value: string, x?: number, y?: number, options: TextOptions = {}): this {
    const doc = this.doc;
    const text = cleanText(value);
    const left = x ?? doc.x;
    const top = y ?? doc.y;
    if (this.simple(text)) {
      this.use({ face: this.base, weight: this.weight });
      doc.text(text, left, top, options);
      return this;
    }
    const width = this.widthFor(left, options);
    let lineTop = top;
    for (const line of this.lines(text, width, options)) {
      let cx = left;
      if (width !== undefined && options.align === 'right') cx += width - line.width;
      else if (width !== undefined && options.align === 'center') cx += (width - line.width) / 2;
      for (const run of line.runs) {
        doc.font(run.font).fontSize(this.size);
        doc.text(run.text, cx, lineTop + line.ascent, {
          lineBreak: false,
          baseline: 'alphabetic',
          ...(run.shaped ? { features: [] } : {}),
          // Already measured: PDFKit would lay the run out once more only to learn its width.
          ...({ textWidth: run.width } as object),
        });
        cx += run.width;
      }
      lineTop += line.height;
    }
    this.use({ face: this.base, weight: this.weight });
    doc.x = left;
    doc.y = lineTop;
    return this;
  }

  height(value: string, options: TextOptions = {}): number {
    const text = cleanText(value);
    if (this.simple(text)) {
      this.use({ face: this.base, weight: this.weight });
      return this.doc.heightOfString(text, options);
    }
    const width = this.widthFor(this.doc.x, options);
    return this.lines(text, width, options).reduce((sum, line) => sum + line.height, 0);
  }

  private widthFor(left: number, options: TextOptions): number | undefined {
    if (options.width !== undefined) return options.width;
    if (options.lineBreak === false) return undefined;
    return this.doc.page.width - left - this.doc.page.margins.right;
  }

  /** One font, no right-to-left letter: PDFKit lays it out as it is. */
  private simple(text: string): boolean {
    // Printable ASCII is in both document fonts, never right to left: most labels and amounts.
    if (/^[\x20-\x7e\n]*$/.test(text)) return true;
    let previous: FaceChoice | null = null;
    for (const ch of text) {
      if (ch === '\n') continue;
      const choice: FaceChoice = faceFor(ch, this.base, this.weight, previous) ?? {
        face: this.base,
        weight: this.weight,
      };
      if (choice.face !== this.base || choice.weight !== this.weight) return false;
      if (RTL_TYPES.has(bidi.getBidiCharTypeName(ch))) return false;
      previous = choice;
    }
    return true;
  }

  private use(choice: FaceChoice): string {
    const key = `${choice.face}-${choice.weight}`;
    const name = this.registered.has(key) ? fontNameOf(choice) : registerFace(this.doc, choice.face, choice.weight);
    this.registered.add(key);
    this.doc.font(name).fontSize(this.size);
    return name;
  }

  private spans(paragraph: string): Span[] {
    const spans: Span[] = [];
    let previous: FaceChoice | null = null;
    let at = 0;
    for (const ch of paragraph) {
      // cleanText left only characters some font has; the fallback is for safety's sake.
      const choice: FaceChoice = faceFor(ch, this.base, this.weight, previous) ?? {
        face: this.base,
        weight: this.weight,
      };
      const last = spans[spans.length - 1];
      if (last && last.choice.face === choice.face && last.choice.weight === choice.weight) last.end = at + ch.length;
      else spans.push({ start: at, end: at + ch.length, choice });
      previous = choice;
      at += ch.length;
    }
    return spans;
  }

  private widthOf(text: string, choice: FaceChoice, shaped: boolean): number {
    this.use(choice);
    return this.doc.widthOfString(text, shaped ? { features: [] } : {});
  }

  /** Width of paragraph[from, to) as drawn in logical order (line breaking). */
  private measure(paragraph: string, spans: Span[], from: number, to: number): number {
    let w = 0;
    for (const s of spans) {
      const a = Math.max(s.start, from);
      const b = Math.min(s.end, to);
      if (a < b) w += this.widthOf(paragraph.slice(a, b), s.choice, false);
    }
    return w;
  }

  /** Lines laid out in this document: `height` then `text` of the same cell lay it out once. */
  private readonly laidOut = new Map<string, Line[]>();

  private lines(text: string, width: number | undefined, options: TextOptions): Line[] {
    const key = [this.weight, this.size, width, options.lineBreak, options.ellipsis, text].join('\u0000');
    let out = this.laidOut.get(key);
    if (!out) {
      out = this.layOut(text, width, options);
      this.laidOut.set(key, out);
    }
    return out;
  }

  private layOut(text: string, width: number | undefined, options: TextOptions): Line[] {
    const out: Line[] = [];
    for (const paragraph of text.split('\n')) {
      const spans = this.spans(paragraph);
      const ranges = this.breakLines(paragraph, spans, width, options);
      const levels = bidi.getEmbeddingLevels(paragraph);
      for (const [from, to, ellipsis] of ranges) out.push(this.line(paragraph, spans, levels, from, to, ellipsis));
    }
    return out;
  }

  /** Where the paragraph's lines start and end ([from, to) offsets; true when cut with "…"). */
  private breakLines(
    paragraph: string,
    spans: Span[],
    width: number | undefined,
    options: TextOptions,
  ): Array<[number, number, boolean]> {
    const trimEnd = (from: number, to: number) => {
      while (to > from && /\s/.test(paragraph[to - 1]!)) to -= 1;
      return to;
    };
    if (width === undefined || options.lineBreak === false) {
      let to = trimEnd(0, paragraph.length);
      if (width === undefined || !options.ellipsis || this.measure(paragraph, spans, 0, to) <= width)
        return [[0, to, false]];
      const dots = this.widthOf('…', { face: this.base, weight: this.weight }, false);
      while (to > 0 && this.measure(paragraph, spans, 0, to) + dots > width) to = previousCharStart(paragraph, to);
      return [[0, trimEnd(0, to), true]];
    }
    // The pieces between two break opportunities, each measured once: a line's width is the sum of
    // its pieces, the last without its trailing spaces.
    const pieces: Array<{ from: number; to: number; width: number; trimmed: number; required: boolean }> = [];
    const breaker = new LineBreaker(paragraph);
    let from = 0;
    for (let br = breaker.nextBreak(); br; br = breaker.nextBreak()) {
      if (br.position <= from) continue;
      const end = trimEnd(from, br.position);
      const trimmed = this.measure(paragraph, spans, from, end);
      const width = end === br.position ? trimmed : trimmed + this.measure(paragraph, spans, end, br.position);
      pieces.push({ from, to: br.position, width, trimmed, required: br.required });
      from = br.position;
    }
    const ranges: Array<[number, number, boolean]> = [];
    let start = 0; // where the current line starts
    let used = 0; // width of the current line's pieces, all but the last with trailing spaces
    for (const piece of pieces) {
      if (piece.from > start && used + piece.trimmed > width) {
        ranges.push([start, trimEnd(start, piece.from), false]);
        start = piece.from;
        used = 0;
      }
      if (piece.from === start && piece.trimmed > width) {
        // One word wider than the column: cut it where it stops fitting.
        let w = 0;
        for (let at = piece.from; at < piece.to;) {
          const next = at + String.fromCodePoint(paragraph.codePointAt(at)!).length;
          const cw = this.measure(paragraph, spans, at, next);
          if (at > start && w + cw > width) {
            ranges.push([start, at, false]);
            start = at;
            w = 0;
          }
          w += cw;
          at = next;
        }
        used = w;
      } else used += piece.width;
      if (piece.required && piece.to < paragraph.length) {
        ranges.push([start, trimEnd(start, piece.to), false]);
        start = piece.to;
        used = 0;
      }
    }
    ranges.push([start, trimEnd(start, paragraph.length), false]);
    return ranges;
  }

  /** One line's runs in visual order, and its metrics. */
  private line(
    paragraph: string,
    spans: Span[],
    levels: ReturnType<typeof bidi.getEmbeddingLevels>,
    from: number,
    to: number,
    ellipsis: boolean,
  ): Line {
    const order: number[] = [];
    for (let i = from; i < to; i += 1) order.push(i);
    for (const [s, e] of bidi.getReorderSegments(paragraph, levels, from, to - 1)) {
      const a = s! - from;
      const b = e! - from;
      const flipped = order.slice(a, b + 1).reverse();
      order.splice(a, flipped.length, ...flipped);
    }
    const spanAt = (i: number) => spans.find((s) => i >= s.start && i < s.end)!;
    const runs: Run[] = [];
    // Consecutive characters (visually) of one span and one level, in logical order within.
    let i = 0;
    while (i < order.length) {
      const first = order[i]!;
      const level = levels.levels[first]!;
      const span = spanAt(first);
      const step = level % 2 === 1 ? -1 : 1;
      let j = i + 1;
      while (
        j < order.length &&
        order[j] === order[j - 1]! + step &&
        levels.levels[order[j]!] === level &&
        spanAt(order[j]!) === span
      )
        j += 1;
      const lo = Math.min(first, order[j - 1]!);
      const hi = Math.max(first, order[j - 1]!);
      runs.push(this.run(paragraph.slice(lo, hi + 1), span.choice, level % 2 === 1));
      i = j;
    }
    if (ellipsis) runs.push(this.run('…', { face: this.base, weight: this.weight }, false));
    return this.metrics(runs);
  }

  private run(logical: string, choice: FaceChoice, rtl: boolean): Run {
    const font = fontNameOf(choice);
    if (!rtl) return { text: logical, font, shaped: false, width: this.widthOf(logical, choice, false) };
    // Right to left: brackets mirrored (UAX #9 L4). A right-to-left script goes to fontkit as it is
    // (it shapes, then reverses); anything else (a lone bracket or dash) is reversed here.
    const mirrored = [...logical].map((ch) => bidi.getMirroredCharacter(ch) ?? ch);
    const shaped = RTL_LETTER.test(logical);
    const text = shaped ? mirrored.join('') : mirrored.reverse().join('');
    return { text, font, shaped, width: this.widthOf(text, choice, shaped) };
  }

  /** A line's height: the tallest ascent and descent of its fonts, the document font's line gap. */
  private metrics(runs: Run[]): Line {
    const scale = this.size / 1000;
    const baseGap = (() => {
      this.use({ face: this.base, weight: this.weight });
      return metricsOf(this.doc).lineGap;
    })();
    let ascent = 0;
    let descent = 0;
    const fonts = new Set(runs.map((r) => r.font));
    if (fonts.size === 0) fonts.add(fontNameOf({ face: this.base, weight: this.weight }));
    for (const font of fonts) {
      this.doc.font(font);
      const m = metricsOf(this.doc);
      ascent = Math.max(ascent, m.ascender);
      descent = Math.max(descent, -m.descender);
    }
    this.use({ face: this.base, weight: this.weight });
    return {
      runs,
      width: runs.reduce((w, r) => w + r.width, 0),
      ascent: ascent * scale,
      height: (ascent + descent + baseGap) * scale,
    };
  }
}

const fontNameOf = (choice: FaceChoice) => fontName(choice.face, choice.weight);

/** The offset of the character before `at` (a surrogate pair is one character). */
function previousCharStart(text: string, at: number): number {
  const code = text.charCodeAt(at - 1);
  return at >= 2 && code >= 0xdc00 && code <= 0xdfff ? at - 2 : at - 1;
}
