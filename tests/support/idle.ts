import type { Core } from '@strapi/strapi';
import type { StripeStandin } from './stripe-standin';

interface IdleProbe {
  idle(): Promise<{ idle: boolean; busy: string[] }>;
}

/** Consecutive idle readings needed: one reading can fall between a webhook's arrival and its row. */
const STABLE_READINGS = 3;
const POLL_MS = 25;

/**
 * Waits until the plugin reports idle (background.ts `idle()`: no webhook being answered, no event
 * queued, settling, claimable or awaiting retry, no background tick running, no outbox notice due)
 * for several readings in a row. With `standin`, first waits until the stand-in has delivered
 * every webhook it queued. Throws on timeout with what was still busy, so "nothing happened"
 * is asserted only once everything that could make it happen has finished.
 */
export async function waitForIdle(strapi: Core.Strapi, timeoutMs = 10_000, standin?: StripeStandin): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  if (standin) {
    let timer: NodeJS.Timeout | undefined;
    const delivered = await Promise.race([
      standin.control.idle().then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!delivered)
      throw new Error(`waitForIdle(): the Stripe stand-in still had webhooks to deliver after ${timeoutMs} ms`);
  }
  // The service's shape is the plugin's (server/src/services/background.ts); Strapi types it loosely.
  const probe = strapi.plugin('invoice-payments').service('background') as unknown as IdleProbe;
  let stable = 0;
  let last: string[] = [];
  for (;;) {
    const reading = await probe.idle();
    last = reading.busy;
    stable = reading.idle ? stable + 1 : 0;
    if (stable >= STABLE_READINGS) return;
    if (Date.now() > deadline) {
      throw new Error(
        `waitForIdle(): not idle after ${timeoutMs} ms; still busy: ${last.join('; ') || '(flapping between idle and busy)'}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
