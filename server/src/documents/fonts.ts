/**
 * Which font draws which character in the invoice and receipt PDFs. No Strapi import here.
 *
 * - Helvetica (PDFKit's built-in, nothing embedded) while a document's text is Latin-1/WinAnsi.
 * - DejaVu Sans (`dejavu-fonts-ttf`) as the document's font instead when it has other Latin, Greek,
 *   Cyrillic, Armenian, Georgian, Arabic or Hebrew text, or a sign such as ₹.
 * - Noto Sans CJK SC, "Noto Sans Hans" (`@embedpdf/fonts-sc`) for Chinese and Japanese (Han, kana)
 *   and Noto Sans CJK KR (`@embedpdf/fonts-kr`) for Korean (Hangul), only for those characters:
 *   the rest of the line stays in the document's font. Loaded on the first document that needs them.
 *
 * Every font is embedded as a subset of the glyphs used (PDFKit through fontkit). A character no
 * shipped font has (Devanagari, Thai...) is printed as "?".
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as fontkit from 'fontkit';

export type Weight = 'regular' | 'bold';
export type Face = 'helvetica' | 'dejavu' | 'han' | 'hangul';
type FileFace = Exclude<Face, 'helvetica'>;

/** Characters of the WinAnsi encoding beyond Latin-1 (what Helvetica can show in PDFKit). */
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');
/** Typographic and invisible characters Intl and people use, replaced before drawing. */
export const REPLACEMENTS: Readonly<Record<string, string>> = {
  '\u202f': ' ', // narrow no-break space (fr-FR thousands)
  '\u2009': ' ',
  '\u2007': ' ',
  '\u2212': '-', // minus sign
  '\u2011': '-',
  '\u2010': '-',
  // Direction marks and embeddings: the PDF's text is put in order by the bidirectional algorithm
  // (documents/text.ts); an explicit override typed into a name would only garble it.
  '\u200e': '',
  '\u200f': '',
  '\u202a': '',
  '\u202b': '',
  '\u202c': '',
  '\u202d': '',
  '\u202e': '',
  '\u2066': '',
  '\u2067': '',
  '\u2068': '',
  '\u2069': '',
};

export const winAnsi = (ch: string): boolean =>
  ch === '\n' || ch === '\t' || (ch >= ' ' && ch <= '\u00ff') || WIN_ANSI_EXTRA.has(ch);

/**
 * Chinese, Japanese and Korean text: Han, kana, Bopomofo, Hangul and their punctuation and
 * full-width forms. Only these are looked up in the CJK fonts (each is several MB to load).
 */
const CJK =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Bopomofo}\p{Script=Hangul}\u3000-\u303f\u3190-\u319f\u31f0-\u31ff\u3200-\u33ff\ufe30-\ufe4f\uff00-\uffef]/u;
const HANGUL = /[\p{Script=Hangul}]/u;
/** Spaces, punctuation, digits and combining marks: drawn in the font of the text around them. */
const NEUTRAL = /[\p{Script=Common}\p{Script=Inherited}]/u;

export const isCjk = (ch: string): boolean => CJK.test(ch);

interface FaceFiles {
  /** Resolves to a file inside the package; the fonts are found from there. */
  entry: string;
  dir: string;
  regular: string;
  bold: string;
}

const FILES: Record<FileFace, FaceFiles> = {
  dejavu: {
    entry: 'dejavu-fonts-ttf/package.json',
    dir: 'ttf',
    regular: 'DejaVuSans.ttf',
    bold: 'DejaVuSans-Bold.ttf',
  },
  // These two packages export only their index (dist/index.cjs): the fonts are in ../fonts.
  han: {
    entry: '@embedpdf/fonts-sc',
    dir: '../fonts',
    regular: 'NotoSansHans-Regular.otf',
    bold: 'NotoSansHans-Bold.otf',
  },
  hangul: {
    entry: '@embedpdf/fonts-kr',
    dir: '../fonts',
    regular: 'NotoSansKR-Regular.otf',
    bold: 'NotoSansKR-Bold.otf',
  },
};

const files = new Map<string, Buffer>();
const parsed = new Map<string, fontkit.Font>();

/** A font file's bytes, read once per process. */
function fontFile(face: FileFace, weight: Weight): Buffer {
  const key = `${face}-${weight}`;
  let bytes = files.get(key);
  if (!bytes) {
    const spec = FILES[face];
    const req = createRequire(typeof __filename === 'string' ? __filename : path.join(process.cwd(), 'index.js'));
    bytes = readFileSync(path.join(path.dirname(req.resolve(spec.entry)), spec.dir, spec[weight]));
    files.set(key, bytes);
  }
  return bytes;
}

/**
 * The font, parsed once per process (its tables: character map, metrics, OpenType layout, glyph
 * outlines) and shared by every document; PDFKit takes a fontkit font as it takes a file, and each
 * document makes its own subset of it.
 */
function coverage(face: FileFace, weight: Weight): fontkit.Font {
  const key = `${face}-${weight}`;
  let font = parsed.get(key);
  if (!font) {
    font = fontkit.create(fontFile(face, weight)) as fontkit.Font;
    parsed.set(key, font);
  }
  return font;
}

/** Answers of `hasGlyph` so far: a document asks the same few characters again and again. */
const known = new Map<string, boolean>();

/** Whether `face` in `weight` has a glyph for the character. */
export function hasGlyph(face: Face, weight: Weight, ch: string): boolean {
  if (face === 'helvetica') return winAnsi(ch);
  const key = `${face}-${weight}-${ch}`;
  let has = known.get(key);
  if (has === undefined) {
    has = (face === 'dejavu' || CJK.test(ch)) && coverage(face, weight).hasGlyphForCodePoint(ch.codePointAt(0)!);
    // Bounded by the characters the fonts have and the ones people type; a flood of odd ones is
    // not worth keeping.
    if (known.size < 50_000) known.set(key, has);
  }
  return has;
}

/** Whether any shipped font has the character (else it is printed as "?"). */
export function printable(ch: string): boolean {
  return (
    winAnsi(ch) ||
    hasGlyph('dejavu', 'regular', ch) ||
    (CJK.test(ch) && (hasGlyph('han', 'regular', ch) || hasGlyph('hangul', 'regular', ch)))
  );
}

/** Text with the replacements made and every character no shipped font has written as "?". */
export function cleanText(value: string | null | undefined): string {
  let out = '';
  for (const ch of String(value ?? '')) {
    const r = REPLACEMENTS[ch];
    if (r !== undefined) out += r;
    else out += printable(ch) ? ch : '?';
  }
  return out;
}

/**
 * The document's own font: Helvetica when every text is WinAnsi (CJK text aside, which has its
 * own fonts), else DejaVu Sans.
 */
export function baseFaceFor(texts: readonly unknown[]): 'helvetica' | 'dejavu' {
  for (const text of texts)
    if (typeof text === 'string')
      for (const ch of text)
        if (REPLACEMENTS[ch] === undefined && !winAnsi(ch) && !CJK.test(ch) && hasGlyph('dejavu', 'regular', ch))
          return 'dejavu';
  return 'helvetica';
}

/** The name a face is registered under in a PDFKit document. */
export function fontName(face: Face, weight: Weight): string {
  if (face === 'helvetica') return weight === 'bold' ? 'Helvetica-Bold' : 'Helvetica';
  return `ip-${face}-${weight}`;
}

/**
 * Registers the face's font with the document (PDFKit embeds only the fonts it draws with).
 *
 * fontkit keeps each glyph it made with the characters it was first looked up for; a glyph first
 * met as a part of another (the A inside Á, when a subset is written) keeps none, and a later
 * document would write that A with no text behind it (invisible to copy and paste). So each
 * document starts with no glyphs made; everything else parsed stays. A document is drawn
 * synchronously from its first text to `end()` (documents/pdf.ts), so no other one uses the font
 * meanwhile. `_glyphs` is fontkit's own (pinned at 2.0.4); tests/unit/documents.test.ts renders
 * such documents one after the other and reads their text back.
 */
export function registerFace(doc: PDFKit.PDFDocument, face: Face, weight: Weight): string {
  const name = fontName(face, weight);
  if (face !== 'helvetica') {
    const font = coverage(face, weight);
    (font as unknown as { _glyphs: Record<number, unknown> })._glyphs = {};
    // PDFKit accepts a fontkit font where its types say file or bytes.
    doc.registerFont(name, font as unknown as Buffer);
  }
  return name;
}

export interface FaceChoice {
  face: Face;
  weight: Weight;
}

/**
 * The face for one character of a text in a document whose font is `base`: CJK in its CJK font,
 * neutral characters (spaces, digits, punctuation) in the face of the text before them, the rest
 * in the document's font, else the first font that has it. Null when none has it.
 */
export function faceFor(
  ch: string,
  base: 'helvetica' | 'dejavu',
  weight: Weight,
  previous: FaceChoice | null,
): FaceChoice | null {
  if (CJK.test(ch)) {
    const order: FileFace[] = HANGUL.test(ch) ? ['hangul', 'han'] : ['han', 'hangul'];
    for (const face of order) if (hasGlyph(face, weight, ch)) return { face, weight };
  }
  if (previous && NEUTRAL.test(ch) && hasGlyph(previous.face, previous.weight, ch)) return previous;
  for (const face of [base, 'dejavu', 'han', 'hangul'] as const)
    if (hasGlyph(face, weight, ch)) return { face, weight };
  // A character the bold font lacks: the regular one, rather than "?".
  return weight === 'bold' ? faceFor(ch, base, 'regular', null) : null;
}
