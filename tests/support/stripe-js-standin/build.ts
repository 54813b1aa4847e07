/**
 * Compiles the Stripe.js stand-in (stripe-js.ts) into one browser script, once per process.
 * Used by the browser tests (served for https://js.stripe.com/..., routes.ts) and by the Stripe
 * stand-in itself (GET /_standin/stripe.js: the offline demo). Test support only.
 */
import path from 'node:path';
import { buildSync } from 'esbuild';

let compiled: string | null = null;

export function stripeJsStandinSource(): string {
  compiled ??= buildSync({
    entryPoints: [path.join(__dirname, 'stripe-js.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2020',
    logLevel: 'silent',
  }).outputFiles[0].text;
  return compiled;
}
