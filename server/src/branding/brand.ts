/**
 * The seller's branding as the renderers use it (pay pages, PDF, receipts, emails): plain data,
 * no Strapi. Built by services/branding.ts from the settings and the media library.
 */
export interface BrandLogo {
  bytes: Buffer;
  mime: 'image/png' | 'image/jpeg';
  /** Changes whenever the image does: cache keys and the pay page's versioned logo URL. */
  hash: string;
}

export interface Brand {
  name: string | null;
  address: string | null;
  taxId: string | null;
  footerText: string | null;
  /** #rrggbb, or null for the neutral look. */
  accentColor: string | null;
  logo: BrandLogo | null;
}

export const NEUTRAL_BRAND: Brand = {
  name: null,
  address: null,
  taxId: null,
  footerText: null,
  accentColor: null,
  logo: null,
};

/** What identifies a brand's look: part of every cached document's key. */
export function brandKey(b: Brand): string {
  return JSON.stringify([b.name, b.address, b.taxId, b.footerText, b.accentColor, b.logo?.hash ?? null]);
}
