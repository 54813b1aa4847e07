import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  acceptedTags,
  CLIENT_KEY_PREFIXES,
  clientMessages,
  PORTAL_KEY_PREFIXES,
  intlLocale,
  languageFromAcceptLanguage,
  LANGUAGES,
  placeholders,
  resolveLocale,
  translate,
} from '../../server/src/i18n';
import { mollieLocale } from '../../server/src/providers/mollie/provider';
import { localeFileProblems } from '../support/locale-files';

/** The client's language: every locale file says the same things, with the same blanks to fill. */
const DIR = path.resolve(__dirname, '../../server/src/i18n/locales');
const read = (file: string) => JSON.parse(readFileSync(path.join(DIR, file), 'utf8')) as Record<string, string>;
const en = read('en.json');

describe('locale files', () => {
  it('there is one file per shipped language, and no other', () => {
    expect(
      readdirSync(DIR)
        .filter((f) => f.endsWith('.json'))
        .sort(),
    ).toEqual(LANGUAGES.map((l) => `${l}.json`).sort());
  });

  it.each(LANGUAGES.filter((l) => l !== 'en'))('%s has exactly the keys of en.json, none empty', (language) => {
    const other = read(`${language}.json`);
    expect(Object.keys(other).sort()).toEqual(Object.keys(en).sort());
    const empty = Object.entries(other).filter(([, v]) => typeof v !== 'string' || v.trim() === '');
    expect(empty).toEqual([]);
  });

  it.each(LANGUAGES.filter((l) => l !== 'en'))(
    '%s uses the same {placeholders} as en.json in every message',
    (language) => {
      const other = read(`${language}.json`);
      const differing = Object.keys(en).filter(
        (key) => placeholders(en[key]!).join(',') !== placeholders(other[key] ?? '').join(','),
      );
      expect(differing).toEqual([]);
    },
  );

  it.each(LANGUAGES.filter((l) => l !== 'en'))(
    '%s: no key written twice, no stray brace, en.json itself only non-empty messages',
    (language) => {
      const raw = (file: string) => readFileSync(path.join(DIR, file), 'utf8');
      expect(localeFileProblems(raw('en.json'), raw(`${language}.json`), `${language}.json`)).toEqual([]);
    },
  );

  it('every key belongs to a known group (so the pages get what their script needs)', () => {
    const groups = new Set(Object.keys(en).map((k) => `${k.split('.')[0]}.`));
    for (const prefix of CLIENT_KEY_PREFIXES) expect(groups.has(prefix)).toBe(true);
    for (const prefix of PORTAL_KEY_PREFIXES) expect(groups.has(prefix)).toBe(true);
    expect([...groups].sort()).toEqual(
      [...CLIENT_KEY_PREFIXES, ...PORTAL_KEY_PREFIXES, 'portalApi.', 'pdf.', 'method.', 'email.'].sort(),
    );
  });

  // "saved.none" is shown on the customer page and on the portal, whose payments offer no box (and
  // Stripe Checkout words its own): it must not tell the client to tick a label the page may not show.
  it.each(LANGUAGES)("%s: saved.none names no UI label (no quoted text, not the drawer's box)", (language) => {
    const messages = read(`${language}.json`);
    const none = messages['saved.none']!;
    expect(none).not.toMatch(/["“”„«»‚‘’]/);
    expect(none.toLowerCase()).not.toContain(messages['drawer.save']!.toLowerCase());
    expect(none).not.toMatch(/\b(tick|cochez|marque|häkchen)\b/i);
  });
});

describe('choosing the language', () => {
  it('reads Accept-Language by quality, then order, and takes the first shipped language', () => {
    expect(acceptedTags('da, en-GB;q=0.8, fr;q=0.9')).toEqual(['da', 'fr', 'en-GB']);
    expect(languageFromAcceptLanguage('da, en-GB;q=0.8, fr;q=0.9')).toBe('fr');
    expect(languageFromAcceptLanguage('de-CH,de;q=0.9')).toBe('de');
    expect(languageFromAcceptLanguage('ja, zh;q=0.5')).toBeNull();
    expect(languageFromAcceptLanguage('fr;q=0, es')).toBe('es');
    expect(languageFromAcceptLanguage('<script>, ,;;q=x')).toBeNull();
    expect(languageFromAcceptLanguage(undefined)).toBeNull();
  });

  it('an unknown or malformed locale falls through to the next candidate, and finally English', () => {
    expect(resolveLocale('xx', null, 'ES')).toBe('es');
    expect(resolveLocale('fr-CA')).toBe('fr');
    expect(resolveLocale(42, {}, 'klingon')).toBe('en');
    expect(resolveLocale()).toBe('en');
  });

  it("numbers and dates follow the browser's own variant of the chosen language, else its usual region", () => {
    expect(intlLocale('de', 'de-CH,de;q=0.9')).toBe('de-CH');
    expect(intlLocale('de', 'fr-FR')).toBe('de-DE');
    expect(intlLocale('fr', null)).toBe('fr-FR');
    expect(intlLocale('en', undefined)).toBe('en-US');
  });
});

it("Mollie's locale: the browser's region when Mollie has it, else the language's usual one", () => {
  expect(mollieLocale({ language: 'fr', intl: 'fr-BE' })).toBe('fr_BE');
  expect(mollieLocale({ language: 'de', intl: 'de-CH' })).toBe('de_CH');
  expect(mollieLocale({ language: 'es', intl: 'es-MX' })).toBe('es_ES');
  expect(mollieLocale({ language: 'en', intl: 'en-US' })).toBe('en_US');
});

describe('translate', () => {
  it('fills placeholders and keeps English as the reference', () => {
    expect(translate('en', 'page.pay', { amount: '$5.00' })).toBe('Pay $5.00');
    expect(translate('fr', 'page.pay', { amount: '5,00 €' })).toBe('Payer 5,00 €');
    expect(translate('de', 'page.pay', { amount: '5,00 €' })).toBe('5,00 € jetzt bezahlen');
    expect(translate('es', 'page.pay', { amount: '5,00 €' })).toBe('Pagar 5,00 €');
  });

  it('embeds only the strings the pay pages use', () => {
    const keys = Object.keys(clientMessages('fr'));
    expect(keys.length).toBeGreaterThan(50);
    expect(keys.every((k) => CLIENT_KEY_PREFIXES.some((p) => k.startsWith(p)))).toBe(true);
    expect(clientMessages('fr')['drawer.email']).toBe('E-mail pour le reçu');
    // The portal's strings go to the portal page only; its API's messages stay on the server.
    expect(clientMessages('fr')['portal.title']).toBeUndefined();
    const portal = clientMessages('de', PORTAL_KEY_PREFIXES);
    expect(portal['portal.title']).toBe('Ihre Rechnungen');
    expect(portal['drawer.email']).toBeDefined();
    expect(Object.keys(portal).some((k) => k.startsWith('portalApi.'))).toBe(false);
  });
});
