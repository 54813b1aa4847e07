import { placeholders } from '../../server/src/i18n/messages';

/**
 * What is wrong with a locale file compared with en.json (both as raw JSON text, so a key written
 * twice, which JSON.parse keeps silently, is seen too). Empty: the two say the same things, with
 * the same blanks to fill. tests/unit/locales.test.ts runs it on every shipped locale.
 */
export function localeFileProblems(enRaw: string, otherRaw: string, name = 'this file'): string[] {
  const problems: string[] = [];
  const en = JSON.parse(enRaw) as Record<string, unknown>;
  const other = JSON.parse(otherRaw) as Record<string, unknown>;
  for (const [key, value] of Object.entries(en)) {
    if (typeof value !== 'string') problems.push(`${key}: not a message in en.json`);
    else if (value.trim() === '') problems.push(`${key}: empty in en.json`);
    else if (/[{}]/.test(value.replace(/\{\w+\}/g, ''))) problems.push(`${key}: stray { or } in en.json`);
  }
  problems.push(...duplicateKeys(enRaw).map((k) => `${k}: written twice in en.json`));
  problems.push(...duplicateKeys(otherRaw).map((k) => `${k}: written twice`));
  for (const key of Object.keys(en))
    if (!Object.prototype.hasOwnProperty.call(other, key)) problems.push(`${key}: missing`);
  for (const [key, value] of Object.entries(other)) {
    const reference = en[key];
    if (!Object.prototype.hasOwnProperty.call(en, key)) problems.push(`${key}: not in en.json`);
    else if (typeof value !== 'string') problems.push(`${key}: not a message`);
    else if (value.trim() === '') problems.push(`${key}: empty`);
    else if (/[{}]/.test(value.replace(/\{\w+\}/g, ''))) problems.push(`${key}: stray { or }`);
    else if (typeof reference === 'string') {
      const want = placeholders(reference).join(',');
      const got = placeholders(value).join(',');
      if (want !== got) problems.push(`${key}: placeholders ${want} ≠ ${got}`);
    }
  }
  return problems.map((p) => (name === 'this file' ? p : `${name} ${p}`));
}

/** Keys that appear more than once in one object of the JSON text. */
function duplicateKeys(raw: string): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const m of raw.matchAll(/"((?:[^"\\]|\\.)*)"\s*:/g)) {
    const key = JSON.parse(`"${m[1]}"`) as string;
    if (seen.has(key)) twice.add(key);
    seen.add(key);
  }
  return [...twice];
}
