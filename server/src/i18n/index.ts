/**
 * Server-side translations of everything a paying client reads: pay pages, PDFs, emails. One JSON
 * file per language in ./locales (en.json is the reference: tests/unit/locales.test.ts checks that
 * every other file has the same keys and placeholders). Numbers and dates stay with Intl.
 */
import de from './locales/de.json';
import en from './locales/en.json';
import es from './locales/es.json';
import fr from './locales/fr.json';
import {
  CLIENT_KEY_PREFIXES,
  translatorFor,
  type Language,
  type MessageKey,
  type Messages,
  type Translate,
  type Vars,
} from './messages';

export * from './messages';

export const LOCALE_FILES: Record<Language, Partial<Messages>> = { en, fr, de, es };

/** One message in `language`; English for a key a locale lacks (the unit test keeps that from happening). */
export function translate(language: Language, key: MessageKey, vars?: Vars): string {
  return translator(language)(key, vars);
}

export function translator(language: Language): Translate {
  return translatorFor(LOCALE_FILES[language] ?? en, en);
}

/** The strings the pay pages' script uses, for the page's JSON block; `extra`: more groups (the portal's). */
export function clientMessages(language: Language, extra: readonly string[] = []): Partial<Messages> {
  const all = { ...en, ...LOCALE_FILES[language] };
  const prefixes = [...CLIENT_KEY_PREFIXES, ...extra];
  return Object.fromEntries(
    Object.entries(all).filter(([key]) => prefixes.some((p) => key.startsWith(p))),
  ) as Partial<Messages>;
}
