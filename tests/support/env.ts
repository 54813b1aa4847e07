import { randomBytes } from 'node:crypto';

/** A fixed, obviously-test encryption key (32 bytes, base64). Never used outside tests. */
export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');

/** Secrets a Strapi app needs to boot, generated per run. */
export function strapiSecrets(): Record<string, string> {
  const r = () => randomBytes(16).toString('base64');
  return {
    APP_KEYS: [r(), r()].join(','),
    ADMIN_JWT_SECRET: r(),
    API_TOKEN_SALT: r(),
    TRANSFER_TOKEN_SALT: r(),
    ENCRYPTION_KEY: r(),
    JWT_SECRET: r(),
  };
}
