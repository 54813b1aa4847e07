/**
 * The parts of fontkit and linebreak the PDF text layout uses (documents/fonts.ts, text.ts). Both
 * come with PDFKit (its own dependencies, at the versions it pins) and ship no TypeScript types.
 */
declare module 'fontkit' {
  /** https://github.com/foliojs/fontkit#font-objects */
  export interface Font {
    postscriptName: string;
    unitsPerEm: number;
    ascent: number;
    descent: number;
    lineGap: number;
    hasGlyphForCodePoint(codePoint: number): boolean;
  }
  export function create(buffer: Buffer | Uint8Array, postscriptName?: string): Font | { fonts: Font[] };
}

declare module 'linebreak' {
  /** https://github.com/foliojs/linebreak: the Unicode line breaking algorithm (UAX #14). */
  export default class LineBreaker {
    constructor(text: string);
    /** The next place a line may break: `position` is where the next line would start. */
    nextBreak(): { position: number; required: boolean } | null;
  }
}
