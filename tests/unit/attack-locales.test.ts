import {
  acceptedTags,
  fill,
  languageFromAcceptLanguage,
  translatorFor,
  type MessageKey,
  type Messages,
} from '../../server/src/i18n';
import { methodLabel } from '../../server/src/services/documents';
import { localeFileProblems } from '../support/locale-files';

/** Attacks on the client's language (issue 12, independent review): the pure parts. */

describe('Accept-Language quality values', () => {
  it('a tag whose q is not a quality value (RFC 9110 qvalue: 0 to 1, at most 3 decimals) is dropped', () => {
    for (const header of [
      'fr;q=1e309',
      'fr;q=-1',
      'fr;q=abc',
      'fr;q=2',
      'fr;q=1.5',
      'fr;q=',
      'fr;q=0.0.1',
      'fr;q=.5',
    ]) {
      expect([header, languageFromAcceptLanguage(header)]).toEqual([header, null]);
    }
    expect(acceptedTags('fr;q=1e309, de;q=-1, es;q=0.5, en;Q=0.7')).toEqual(['en', 'es']);
    expect(acceptedTags('fr;q=1.000, de;q=0.999, es;q=1')).toEqual(['fr', 'es', 'de']);
    // Other parameters than q are no reason to drop a tag.
    expect(acceptedTags('de;level=1;q=0.5')).toEqual(['de']);
  });
});

describe('looking up a message', () => {
  it("a key that names an Object.prototype member is a missing key, not a crash or the prototype's function", () => {
    const t = translatorFor({ 'page.pay': 'Pay {amount}' } as Partial<Messages>);
    for (const key of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf']) {
      expect(t(key as MessageKey)).toBe(key);
    }
    expect(t('page.pay', { amount: '{number}', number: '1' })).toBe('Pay {number}');
    expect(fill('{constructor}{__proto__}', {})).toBe('{constructor}{__proto__}');
  });

  it('a payment method named like an Object.prototype member reads as its own name on a receipt', () => {
    expect(methodLabel({ kind: 'card', method: 'constructor' })).toBe('constructor');
    expect(methodLabel({ kind: 'card', method: 'to_string' })).toBe('to string');
    expect(methodLabel({ kind: 'card', method: 'toString' })).toBe('toString');
  });
});

describe('the locale-files check cannot be fooled', () => {
  const en = '{"page.pay": "Pay {amount}", "page.total": "Total"}';
  it('catches what the old check let through', () => {
    // Doubled braces keep the placeholder's name but show "{5,00 €}" to the client.
    expect(localeFileProblems(en, '{"page.pay": "Payer {{amount}}", "page.total": "Total"}')).toEqual([
      'page.pay: stray { or }',
    ]);
    expect(localeFileProblems(en, '{"page.pay": "Payer {amount}}", "page.total": "Total"}')).toEqual([
      'page.pay: stray { or }',
    ]);
    // A key written twice: JSON.parse keeps the last one silently.
    expect(
      localeFileProblems(en, '{"page.pay": "Payer {amount}", "page.total": "Total", "page.pay": "x {amount}"}'),
    ).toEqual(['page.pay: written twice']);
    // The reference itself: nested or empty values are not messages.
    expect(localeFileProblems('{"page": {"pay": "Pay {amount}"}, "page.total": ""}', '{}')).toEqual(
      expect.arrayContaining(['page: not a message in en.json', 'page.total: empty in en.json']),
    );
    // Still caught: a missing key, a renamed placeholder, a nested value.
    expect(localeFileProblems(en, '{"page.pay": "Payer {montant}"}')).toEqual(
      expect.arrayContaining(['page.total: missing', 'page.pay: placeholders amount ≠ montant']),
    );
    expect(localeFileProblems(en, '{"page.pay": {"x": "Payer {amount}"}, "page.total": "Total"}')).toEqual([
      'page.pay: not a message',
    ]);
    // Placeholders in another order are fine: a translation may need them so.
    expect(localeFileProblems('{"a.b": "{x} of {y}"}', '{"a.b": "{y}: {x}"}')).toEqual([]);
  });
});
