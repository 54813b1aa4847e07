import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Stripe's published example objects (shared/stripe/fixtures3.json) live beside the repository,
 * not in it. Looks in STRIPE_FIXTURES, then `shared/` beside the repository or any folder above
 * it, then the workspace's /work/shared; fails loudly when none has it (a skipped check proves nothing).
 */
export function stripeFixturesPath(): string {
  const candidates: string[] = [];
  if (process.env.STRIPE_FIXTURES) candidates.push(process.env.STRIPE_FIXTURES);
  let dir = path.resolve(__dirname, '..', '..');
  for (;;) {
    candidates.push(path.join(path.dirname(dir), 'shared', 'stripe', 'fixtures3.json'));
    if (path.dirname(dir) === dir) break;
    dir = path.dirname(dir);
  }
  candidates.push('/work/shared/stripe/fixtures3.json');
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`Stripe's fixtures3.json was not found; set STRIPE_FIXTURES. Looked in: ${candidates.join(', ')}`);
  return found;
}
