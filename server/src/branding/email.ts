/**
 * Every email of the plugin as HTML and plain text, in the seller's branding. The HTML uses
 * tables and inline styles (what email clients render), no web fonts and no remote image: the
 * logo travels inside the email (an inline attachment, `cid:`), and the seller's name is written
 * out as text next to it, so an email whose images are blocked still says who sent it.
 */
import { translator, type Translate } from '../i18n';
import type { Brand } from './brand';

export interface EmailAttachment {
  filename: string;
  content: Buffer;
  contentType: string;
  /** Inline images only: the `cid:` the HTML refers to. */
  cid?: string;
  contentDisposition?: 'inline' | 'attachment';
}

export interface EmailContent {
  heading: string;
  paragraphs: string[];
  /** A small label/value table (amounts, dates). */
  rows?: Array<[string, string]>;
  /** The main call to action (the "Pay online" button). */
  button?: { label: string; url: string };
  /** Further links, e.g. "Download your receipt". */
  links?: Array<{ label: string; url: string }>;
  /** The email's language (the html element's lang attribute). */
  language?: string;
}

export interface RenderedEmail {
  html: string;
  text: string;
  attachments: EmailAttachment[];
}

export const LOGO_CID = 'seller-logo@invoice-payments';
const NEUTRAL_INK = '#1f2430';
const PAY_GREEN = '#13803b';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
const multiline = (s: string) => esc(s).replace(/\r?\n/g, '<br>');

/** `t`: the client's language, for the words of the frame (the footer's tax id label). */
export function renderEmail(brand: Brand, content: EmailContent, t: Translate = translator('en')): RenderedEmail {
  const accent = brand.accentColor ?? NEUTRAL_INK;
  const attachments: EmailAttachment[] = [];
  let logo = '';
  if (brand.logo) {
    attachments.push({
      filename: brand.logo.mime === 'image/png' ? 'logo.png' : 'logo.jpg',
      content: brand.logo.bytes,
      contentType: brand.logo.mime,
      cid: LOGO_CID,
      contentDisposition: 'inline',
    });
    logo = `<img src="cid:${LOGO_CID}" alt="${esc(brand.name ?? 'Logo')}" height="48" style="display:block;height:48px;max-width:200px;border:0">`;
  }
  const seller = brand.name
    ? `<div style="font-size:16px;font-weight:bold;color:${NEUTRAL_INK}">${esc(brand.name)}</div>`
    : '';
  const header =
    logo || seller
      ? `<tr><td style="padding:20px 24px;border-bottom:1px solid #e3e6ec">${logo}${logo && seller ? '<div style="height:8px"></div>' : ''}${seller}</td></tr>`
      : '';
  const rows = content.rows?.length
    ? `<table role="presentation" cellpadding="0" cellspacing="0" style="width:100%;margin:8px 0 16px;border-collapse:collapse">${content.rows
        .map(
          ([label, value]) =>
            `<tr><td style="padding:6px 0;color:#5d6475;border-bottom:1px solid #eef0f4">${esc(label)}</td><td align="right" style="padding:6px 0;font-weight:bold;border-bottom:1px solid #eef0f4">${esc(value)}</td></tr>`,
        )
        .join('')}</table>`
    : '';
  const button = content.button
    ? `<p style="margin:24px 0"><a href="${esc(content.button.url)}" style="display:inline-block;padding:12px 20px;background:${PAY_GREEN};color:#ffffff;border-radius:6px;text-decoration:none;font-weight:bold">${esc(content.button.label)}</a></p>`
    : '';
  const links = (content.links ?? [])
    .map((l) => `<p style="margin:8px 0"><a href="${esc(l.url)}" style="color:${accent}">${esc(l.label)}</a></p>`)
    .join('');
  const footerParts = [
    brand.name,
    brand.address,
    brand.taxId ? t('email.taxId', { taxId: brand.taxId }) : null,
    brand.footerText,
  ];
  const footer = footerParts.some(Boolean)
    ? `<tr><td style="padding:16px 24px;border-top:1px solid #e3e6ec;color:#5d6475;font-size:12px;line-height:1.5">${footerParts
        .filter((p): p is string => Boolean(p))
        .map(multiline)
        .join('<br>')}</td></tr>`
    : '';
  const html = `<!doctype html>
<html lang="${esc(content.language ?? 'en')}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${esc(content.heading)}</title></head>
<body style="margin:0;padding:0;background:#f4f5f8">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f4f5f8"><tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" style="max-width:600px;width:100%;background:#ffffff;border-top:4px solid ${accent};border-radius:4px;font-family:Helvetica,Arial,sans-serif;color:${NEUTRAL_INK};font-size:15px;line-height:1.5">
${header}
<tr><td style="padding:24px">
<h1 style="margin:0 0 12px;font-size:20px;color:${NEUTRAL_INK}">${esc(content.heading)}</h1>
${content.paragraphs.map((p) => `<p style="margin:0 0 12px">${multiline(p)}</p>`).join('\n')}
${rows}${button}${links}
</td></tr>
${footer}
</table>
</td></tr></table>
</body></html>
`;
  const text = [
    brand.name,
    brand.name ? '' : null,
    content.heading,
    '',
    ...content.paragraphs.flatMap((p) => [p, '']),
    ...(content.rows ?? []).map(([l, v]) => `${l}: ${v}`),
    content.rows?.length ? '' : null,
    content.button ? `${content.button.label}: ${content.button.url}` : null,
    ...(content.links ?? []).map((l) => `${l.label}: ${l.url}`),
    footerParts.some(Boolean) ? '\n--' : null,
    ...footerParts.filter((p): p is string => Boolean(p)),
  ]
    .filter((line): line is string => line !== null)
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return { html, text: `${text}\n`, attachments };
}
