import { z } from 'zod';

/**
 * The seller's branding (Settings → Branding): shown on the pay pages, the invoice PDF, receipts
 * and every email. Everything empty is the plugin's neutral look. The logo is a file of Strapi's
 * media library, referenced by id; PNG and JPEG only (what the PDF library and every email client
 * can show), at most LOGO_MAX_BYTES so it stays small inside each email and PDF.
 */
export const LOGO_MIME_TYPES = ['image/png', 'image/jpeg'] as const;
export const LOGO_MAX_BYTES = 1024 * 1024;
export const DEFAULT_ACCENT = '#1f2430';

const text = (max: number, what: string) =>
  z.string().trim().max(max, `${what}: at most ${max} characters.`).nullable().optional();

export const brandingInputSchema = z
  .object({
    name: text(120, 'Seller name'),
    address: text(500, 'Address'),
    taxId: text(60, 'Tax id'),
    logoFileId: z.number().int().positive('Choose an image from the media library.').nullable().optional(),
    accentColor: z
      .union([
        z
          .string()
          .trim()
          .regex(/^#[0-9a-fA-F]{6}$/, 'Use a colour such as #1f6feb (a # and six hexadecimal digits).'),
        z.literal(''),
        z.null(),
      ])
      .optional(),
    footerText: text(500, 'Footer text'),
    paymentInstructions: text(1000, 'Payment instructions'),
  })
  .strict();

export type BrandingInput = z.infer<typeof brandingInputSchema>;

export interface StoredBranding {
  name: string | null;
  address: string | null;
  taxId: string | null;
  logoFileId: number | null;
  accentColor: string | null;
  footerText: string | null;
  /** Printed on the invoice PDF under the pay link, e.g. bank transfer details. */
  paymentInstructions: string | null;
}

export const defaultBranding: StoredBranding = {
  name: null,
  address: null,
  taxId: null,
  logoFileId: null,
  accentColor: null,
  footerText: null,
  paymentInstructions: null,
};

/** A saved branding with the given fields replaced; '' and null clear a field. */
export function mergeBranding(current: StoredBranding, input: BrandingInput): StoredBranding {
  const next = { ...defaultBranding, ...current };
  const clean = (v: string | null | undefined) => (v === undefined ? undefined : v ? v : null);
  for (const key of ['name', 'address', 'taxId', 'footerText', 'paymentInstructions'] as const) {
    const v = clean(input[key]);
    if (v !== undefined) next[key] = v;
  }
  const accent = clean(input.accentColor);
  if (accent !== undefined) next.accentColor = accent ? accent.toLowerCase() : null;
  if (input.logoFileId !== undefined) next.logoFileId = input.logoFileId;
  return next;
}

/** True when nothing is set: the pages, PDFs and emails keep the neutral look. */
export function isNeutral(b: StoredBranding): boolean {
  return (
    !b.name && !b.address && !b.taxId && !b.logoFileId && !b.accentColor && !b.footerText && !b.paymentInstructions
  );
}
