/**
 * What the server embedded in the page (pages/documents.ts): which page this is, and the
 * strings of the client's language. The script has no strings of its own: every label it shows
 * comes from here, so a French page stays French after the script re-renders it.
 */
import { translatorFor, type Translate } from '../../server/src/i18n/messages';
import { PAGE_DATA_ID, type PageData } from '../../server/src/pages/view';

let cached: PageData | null | undefined;

export function pageData(): PageData | null {
  if (cached !== undefined) return cached;
  const text = document.getElementById(PAGE_DATA_ID)?.textContent;
  try {
    cached = text ? (JSON.parse(text) as PageData) : null; // written by the server
  } catch {
    cached = null;
  }
  return cached;
}

/** The page's translate function; a key the page lacks shows as itself (never in practice: one list). */
export const t: Translate = (key, vars) => translatorFor(pageData()?.messages ?? {})(key, vars);
