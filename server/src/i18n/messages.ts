/**
 * The client's language: the languages the plugin ships, how a page picks one, and how a message
 * is filled in. Pure TypeScript with no JSON import, so the pay pages' script can use it with the
 * strings the server put in the page (pages/documents.ts) instead of bundling every locale.
 */
import type en from './locales/en.json';

export const LANGUAGES = ['en', 'fr', 'de', 'es'] as const;
export type Language = (typeof LANGUAGES)[number];
export const FALLBACK_LANGUAGE: Language = 'en';

export type Messages = typeof en;
export type MessageKey = keyof Messages;
export type Vars = Record<string, string | number>;
export type Translate = (key: MessageKey, vars?: Vars) => string;

/** The language of a client's page, document or payment, and the Intl locale of its numbers and dates. */
export interface ClientLocale {
  language: Language;
  intl: string;
}

/** The Intl locale of a language when the browser names no region of its own. */
const DEFAULT_REGION: Record<Language, string> = { en: 'en-US', fr: 'fr-FR', de: 'de-DE', es: 'es-ES' };

/** 'fr', 'FR', 'fr-CA', 'fr_BE' → 'fr'; anything the plugin has no strings for → null. */
export function asLanguage(value: unknown): Language | null {
  if (typeof value !== 'string') return null;
  const primary = value.trim().toLowerCase().split(/[-_]/)[0];
  return (LANGUAGES as readonly string[]).includes(primary ?? '') ? (primary as Language) : null;
}

/** RFC 9110 qvalue: 0 to 1 with at most three decimals. */
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/** The q of one Accept-Language entry's parameters: 1 when absent, NaN when not a qvalue (q=1e309, q=-1). */
function quality(params: string[]): number {
  const q = params.map((p) => /^q\s*=\s*(.*)$/i.exec(p.trim())).find(Boolean);
  if (!q) return 1;
  return QVALUE.test(q[1]!.trim()) ? Number(q[1]) : NaN;
}

/** Accept-Language tags, best first (q-values honoured, q=0 and malformed tags or q dropped, at most 8). */
export function acceptedTags(header: string | null | undefined): string[] {
  if (!header) return [];
  return header
    .slice(0, 512)
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      return { tag: tag.trim(), q: quality(params), index };
    })
    .filter((t) => /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(t.tag) && t.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .slice(0, 8)
    .map((t) => t.tag);
}

/** The first language of the browser's list that the plugin ships, or null. */
export function languageFromAcceptLanguage(header: string | null | undefined): Language | null {
  for (const tag of acceptedTags(header)) {
    const language = asLanguage(tag);
    if (language) return language;
  }
  return null;
}

/** The first candidate that names a shipped language; English when none does (never an error). */
export function resolveLocale(...candidates: unknown[]): Language {
  for (const candidate of candidates) {
    const language = asLanguage(candidate);
    if (language) return language;
  }
  return FALLBACK_LANGUAGE;
}

/**
 * The Intl locale for numbers and dates in `language`: the browser's own variant of it when it
 * asks for one this runtime knows (de-CH, fr-CA), else the language's usual region.
 */
export function intlLocale(language: Language, acceptLanguage?: string | null): string {
  for (const tag of acceptedTags(acceptLanguage)) {
    if (asLanguage(tag) !== language || !tag.includes('-')) continue;
    try {
      const [supported] = Intl.NumberFormat.supportedLocalesOf(tag);
      if (supported) return supported;
    } catch {
      // A tag Intl rejects: try the next one.
    }
  }
  return DEFAULT_REGION[language];
}

/** `{name}` placeholders replaced by `vars`; an unknown placeholder stays as written. */
export function fill(template: string, vars: Vars = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole,
  );
}

/** A translate function over one locale's strings; a missing key falls back to `fallback`, then the key. */
export function translatorFor(messages: Partial<Messages>, fallback: Partial<Messages> = {}): Translate {
  return (key, vars) => fill(own(messages, key) ?? own(fallback, key) ?? String(key), vars);
}

/** A message of the file itself: 'toString' or 'constructor' are not messages (Object.prototype's). */
function own(messages: Partial<Messages>, key: MessageKey): string | undefined {
  const value: unknown = Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** The placeholders of a message, sorted (the locale-files test compares them across locales). */
export function placeholders(template: string): string[] {
  return [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();
}

/** Keys the pay pages' script needs; the server embeds only these in each page. */
export const CLIENT_KEY_PREFIXES = [
  'status.',
  'page.',
  'pending.',
  'step.',
  'drawer.',
  'customer.',
  'result.',
  'saved.',
];

/** What the client portal's script needs besides those (its own page, not the pay pages). */
export const PORTAL_KEY_PREFIXES = ['portal.'];
