/**
 * Shared setup of the pay-page browser tests (tests/browser/pay-*.test.ts): one Strapi + Stripe
 * stand-in and one Chromium per test file, a fresh browser context per test, and small polling
 * assertions (jest's expect does not wait; playwright-core has no test runner expect).
 */
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { launchBrowser } from '../browser';
import { bootPayments, type PaymentsEnv } from '../payments';
import { STRIPE_JS_STANDIN_PATH } from './paths';
import { refuseOffMachine, routeStripe, watchPage, type BrowserWatch } from './routes';

export const CARDS = {
  visa: '4242 4242 4242 4242',
  declined: '4000 0000 0000 0002',
  insufficientFunds: '4000 0000 0000 9995',
  threeDSecure: '4000 0025 0000 3155',
} as const;

export interface PayBrowser {
  env: PaymentsEnv;
  browser: Browser;
  /** http://127.0.0.1:<port> of the app. */
  base: string;
  open(
    pathOrUrl: string,
    opts?: { viewport?: { width: number; height: number }; mobile?: boolean; locale?: string },
  ): Promise<PayPage>;
  settings(patch: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

export interface PayPage {
  page: Page;
  context: BrowserContext;
  watch: BrowserWatch;
}

/**
 * `stripeJs`: where the pages get Stripe.js.
 * - 'routed' (default): from https://js.stripe.com as in production; each browser context routes
 *   js.stripe.com to the Stripe.js stand-in and api.stripe.com to the Stripe stand-in.
 * - 'standin': from the Stripe stand-in itself through the plugin's stripe.jsUrl (STRIPE_JS_URL),
 *   as in the offline demo; nothing is routed, off-machine requests are still refused, and
 *   `watch.stripeCalls` records the page's requests to the stand-in.
 */
export async function bootPayBrowser(
  opts: { stripeJs?: 'routed' | 'standin'; env?: Record<string, string> } = {},
): Promise<PayBrowser> {
  const standinMode = opts.stripeJs === 'standin';
  const env = await bootPayments({
    ...(opts.env ? { env: opts.env } : {}),
    ...(standinMode ? { envFromStandin: (url: string) => ({ STRIPE_JS_URL: `${url}${STRIPE_JS_STANDIN_PATH}` }) } : {}),
  });
  const base = env.app.url!;
  // Checkout's success/cancel URLs and pay links use the public URL: this app's real port.
  env.app.strapi.config.set('plugin::invoice-payments.publicUrl', base);
  const browser = await launchBrowser();
  const contexts: BrowserContext[] = [];
  return {
    env,
    browser,
    base,
    async open(pathOrUrl, opts = {}) {
      const context = await browser.newContext({
        viewport: opts.viewport ?? { width: 1280, height: 900 },
        locale: opts.locale ?? 'en-US',
        ...(opts.mobile ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
      });
      contexts.push(context);
      const watch = standinMode ? await refuseOffMachine(context) : await routeStripe(context, env.standin.url);
      if (standinMode) {
        context.on('request', (request) => {
          const url = new URL(request.url());
          if (url.origin === env.standin.url) watch.stripeCalls.push(`${request.method()} ${url.pathname}`);
        });
      }
      const page = await context.newPage();
      watchPage(page, watch);
      await page.goto(pathOrUrl.startsWith('http') ? pathOrUrl : `${base}${pathOrUrl}`);
      return { page, context, watch };
    },
    async settings(patch) {
      await env.app.strapi.plugin('invoice-payments').service('settings').update(patch, { type: 'system' });
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await env.close();
    },
  };
}

/** Polls `read` until `check` passes; fails with the last value seen. */
export async function until<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  what: string,
  timeoutMs = 8000,
): Promise<T> {
  const started = Date.now();
  let value = await read();
  while (!check(value)) {
    if (Date.now() - started > timeoutMs)
      throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
    value = await read();
  }
  return value;
}

/** Waits until the locator is visible and its text (trimmed) equals or matches `expected`. */
export async function expectText(locator: Locator, expected: string | RegExp, timeoutMs = 8000): Promise<string> {
  await locator.waitFor({ state: 'visible', timeout: timeoutMs });
  return until(
    async () => ((await locator.textContent()) ?? '').replace(/\s+/g, ' ').trim(),
    (text) => (typeof expected === 'string' ? text === expected : expected.test(text)),
    `text ${String(expected)}`,
    timeoutMs,
  );
}

/** Nothing the page did broke its CSP, reached the internet, or threw. */
export function expectCleanRun(watch: BrowserWatch): void {
  expect({ csp: watch.cspViolations, blocked: watch.blocked, errors: watch.pageErrors }).toEqual({
    csp: [],
    blocked: [],
    errors: [],
  });
}
