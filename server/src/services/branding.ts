import type { Core } from '@strapi/strapi';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Brand, BrandLogo } from '../branding/brand';
import { getService } from '../utils/get-service';
import type { FieldProblem } from '../utils/errors';
import { LOGO_MAX_BYTES, LOGO_MIME_TYPES, type BrandingInput, type StoredBranding } from './settings-branding';
import { reasonOf } from '../utils/errors';

const UPLOAD_FILE = 'plugin::upload.file' as const;

interface UploadFile {
  id: number;
  url: string;
  mime: string;
  /** Strapi stores file sizes in kB. */
  size: number;
  hash: string;
  updatedAt?: string | Date | null;
}

/**
 * The seller's branding for the renderers: the saved fields plus the logo's bytes, read once from
 * Strapi's media library (the local upload folder, or the provider's URL) and kept in memory
 * until the file or the setting changes. A logo that cannot be read leaves the brand without one
 * (logged once): a missing image never stops an invoice, a PDF or an email.
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  let cached: { key: string; logo: BrandLogo | null } | null = null;
  let warned = '';

  async function findFile(id: number): Promise<UploadFile | null> {
    return (await strapi.db.query(UPLOAD_FILE).findOne({ where: { id } })) as UploadFile | null;
  }

  async function readBytes(file: UploadFile): Promise<Buffer> {
    if (file.url.startsWith('/')) {
      const root = path.resolve(strapi.dirs.static.public);
      const full = path.resolve(root, `.${decodeURI(file.url.split('?')[0]!)}`);
      if (!full.startsWith(root + path.sep)) throw new Error('the logo is outside the public folder');
      return readFile(full);
    }
    const res = await fetch(file.url, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`the media library answered ${res.status}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    if (bytes.length > LOGO_MAX_BYTES) throw new Error('the logo is larger than 1 MB');
    return bytes;
  }

  async function logo(fileId: number | null): Promise<BrandLogo | null> {
    if (!fileId) return null;
    const file = await findFile(fileId);
    if (!file || !(LOGO_MIME_TYPES as readonly string[]).includes(file.mime)) return null;
    const key = `${file.id}:${file.hash}:${String(file.updatedAt ?? '')}`;
    if (cached?.key === key) return cached.logo;
    let result: BrandLogo | null = null;
    try {
      const bytes = await readBytes(file);
      result = {
        bytes,
        mime: file.mime as BrandLogo['mime'],
        hash: createHash('sha256').update(bytes).digest('hex').slice(0, 16),
      };
    } catch (error) {
      if (warned !== key)
        strapi.log.warn(`[invoice-payments] the branding logo could not be read, shown without it: ${reasonOf(error)}`);
      warned = key;
    }
    cached = { key, logo: result };
    return result;
  }

  return {
    /** The brand as saved now (the neutral brand when nothing is set). */
    async current(stored?: StoredBranding): Promise<Brand> {
      const b = stored ?? (await getService(strapi, 'settings').stored()).branding;
      return {
        name: b.name,
        address: b.address,
        taxId: b.taxId,
        footerText: b.footerText,
        accentColor: b.accentColor,
        logo: await logo(b.logoFileId),
      };
    },

    /** Settings save: the chosen logo must be a PNG or JPEG of the media library, at most 1 MB. */
    async problems(input: BrandingInput | undefined): Promise<FieldProblem[]> {
      if (!input?.logoFileId) return [];
      const file = await findFile(input.logoFileId);
      if (!file) return [{ path: ['branding', 'logoFileId'], message: 'That logo is not in the media library.' }];
      if (!(LOGO_MIME_TYPES as readonly string[]).includes(file.mime))
        return [{ path: ['branding', 'logoFileId'], message: 'The logo must be a PNG or JPEG image.' }];
      if (file.size * 1024 > LOGO_MAX_BYTES)
        return [{ path: ['branding', 'logoFileId'], message: 'The logo must be at most 1 MB.' }];
      return [];
    },
  };
};
