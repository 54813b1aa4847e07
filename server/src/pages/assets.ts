import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PLUGIN_ID } from '../utils/plugin-id';

/**
 * The pay pages' script and stylesheet, built by scripts/build-public.js into dist/public/
 * (next to dist/server/, where this module runs from once built). Read once, kept in memory with
 * a content hash: pages link `pay.js?v=<hash>`, which may then be cached forever.
 */
export const ASSET_TYPES = {
  'pay.js': 'application/javascript; charset=utf-8',
  'pay.css': 'text/css; charset=utf-8',
} as const;
export type AssetName = keyof typeof ASSET_TYPES;

export interface Asset {
  name: AssetName;
  type: string;
  body: Buffer;
  /** Pre-compressed by the build, served to clients that accept gzip. */
  gzip: Buffer | null;
  hash: string;
}

export const ASSET_BASE = `/${PLUGIN_ID}/pay/assets`;

function candidates(): string[] {
  // Built: dist/server/index.js -> dist/public. From source (ts-node, tests): server/src/pages -> dist/public.
  const here = typeof __dirname === 'string' ? __dirname : process.cwd();
  return [path.resolve(here, '..', 'public'), path.resolve(here, '..', '..', '..', 'dist', 'public')];
}

const cache = new Map<AssetName, Asset>();

export function isAssetName(name: string): name is AssetName {
  return Object.prototype.hasOwnProperty.call(ASSET_TYPES, name);
}

export function loadAsset(name: AssetName): Asset | null {
  const cached = cache.get(name);
  if (cached) return cached;
  let asset: Asset | null = null;
  for (const dir of candidates()) {
    const file = path.join(dir, name);
    if (!existsSync(file)) continue;
    const body = readFileSync(file);
    const gz = `${file}.gz`;
    asset = {
      name,
      type: ASSET_TYPES[name],
      body,
      gzip: existsSync(gz) ? readFileSync(gz) : null,
      hash: createHash('sha256').update(body).digest('hex').slice(0, 16),
    };
    break;
  }
  // A missing file is not remembered: it may appear with the next build.
  if (asset) cache.set(name, asset);
  return asset;
}

/** URL of an asset, versioned by its content so browsers may cache it for a year. */
export function assetUrl(name: AssetName): string {
  const asset = loadAsset(name);
  return asset ? `${ASSET_BASE}/${name}?v=${asset.hash}` : `${ASSET_BASE}/${name}`;
}
