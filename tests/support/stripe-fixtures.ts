import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Stripe's published example objects (fixtures3.json from stripe/openapi, MIT), kept in the
 * repository under tests/support/stripe-fixtures/ with Stripe's licence, so a fresh clone with
 * nothing beside it runs the shape checks. Fails loudly if the file is missing (a skipped check
 * proves nothing).
 */
export const STRIPE_FIXTURES_DIR = path.join(__dirname, 'stripe-fixtures');

export function stripeFixturesPath(): string {
  const file = path.join(STRIPE_FIXTURES_DIR, 'fixtures3.json');
  if (!existsSync(file))
    throw new Error(`Stripe's fixtures3.json is missing from ${STRIPE_FIXTURES_DIR} (see the README there).`);
  return file;
}
