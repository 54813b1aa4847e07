/**
 * Browser-test plumbing (test only): serves the Stripe.js stand-in for https://js.stripe.com/...,
 * sends https://api.stripe.com/... to the Stripe stand-in, refuses every other off-machine
 * request (the tests run offline and must not depend on the internet), and records Content
 * Security Policy violations and page errors so a test can assert there were none.
 *
 * page.route() runs after the browser's own checks: a URL the page's CSP forbids is blocked before
 * it gets here, so these routes prove the real CSP allows exactly what the pages use.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { stripeJsStandinSource } from './build';

export interface BrowserWatch {
  /** Requests to anything but this machine, other than the two Stripe origins: refused. */
  blocked: string[];
  /** Console messages about Content-Security-Policy violations. */
  cspViolations: string[];
  /** Uncaught page errors. */
  pageErrors: string[];
  /** Stripe API calls the page made (method and path), in order. */
  stripeCalls: string[];
  /** Responses with a 5xx status the page received (method, URL, status). */
  serverErrors: string[];
}

const LOCAL = /^https?:\/\/(127\.0\.0\.1|localhost)(:\d+)?\//;

/**
 * Refuses every request to anything but this machine, recording it in `watch.blocked`. Alone, it
 * is what the offline-demo test uses (Stripe.js and the API both come from the local stand-in).
 */
export async function refuseOffMachine(context: BrowserContext): Promise<BrowserWatch> {
  const watch: BrowserWatch = { blocked: [], cspViolations: [], pageErrors: [], stripeCalls: [], serverErrors: [] };
  // Registered first, so it runs last: only what no other route handled.
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (LOCAL.test(url) || url.startsWith('data:')) return route.continue();
    watch.blocked.push(url);
    return route.abort('blockedbyclient');
  });
  return watch;
}

export async function routeStripe(context: BrowserContext, standinUrl: string): Promise<BrowserWatch> {
  const watch = await refuseOffMachine(context);
  await context.route('https://js.stripe.com/**', (route) =>
    route.fulfill({ status: 200, contentType: 'application/javascript; charset=utf-8', body: stripeJsStandinSource() }),
  );
  await context.route('https://api.stripe.com/**', async (route) => {
    const url = new URL(route.request().url());
    watch.stripeCalls.push(`${route.request().method()} ${url.pathname}`);
    const response = await route.fetch({ url: `${standinUrl}${url.pathname}${url.search}` });
    // The stand-in's control routes (the "issuer" side of 3DS, Checkout completion) send no CORS header.
    await route.fulfill({ response, headers: { ...response.headers(), 'access-control-allow-origin': '*' } });
  });
  return watch;
}

/** Starts recording CSP violations and page errors of one page into `watch`. */
export function watchPage(page: Page, watch: BrowserWatch): void {
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) watch.cspViolations.push(message.text());
  });
  page.on('pageerror', (error) => watch.pageErrors.push(error.message));
  page.on('response', (response) => {
    if (response.status() >= 500)
      watch.serverErrors.push(`${response.request().method()} ${response.url()} ${response.status()}`);
  });
}
