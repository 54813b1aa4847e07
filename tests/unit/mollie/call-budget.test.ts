/**
 * How long a provider call may take, per provider: leases and refund reservations are sized from it
 * (attempts.ts, refunds.ts), so Mollie payments are no longer timed by Stripe's settings.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Core } from '@strapi/strapi';
import { createMollie, MOLLIE_CALL_BUDGET_MS, MOLLIE_TIMEOUT_MS } from '../../../server/src/providers/mollie/client';
import { mollieOverrides } from '../../../server/src/providers/mollie/overrides';
import { longestCallBudgetMs, PROVIDERS } from '../../../server/src/providers/registry';

const KEY = 'test_budgetbudgetbudgetbudgetbudg12';

function strapiWith(stripe: { timeoutMs: number; maxNetworkRetries: number }): Core.Strapi {
  // Only the config the entries read; a partial stand-in for Core.Strapi.
  return { config: { get: () => ({ stripe }) } } as unknown as Core.Strapi;
}

describe('provider call budgets', () => {
  it("Stripe's comes from its SDK settings (timeout × tries), as the leases used before", () => {
    expect(PROVIDERS.stripe!.callBudgetMs(strapiWith({ timeoutMs: 20_000, maxNetworkRetries: 2 }))).toBe(60_000);
    expect(PROVIDERS.stripe!.callBudgetMs(strapiWith({ timeoutMs: 5_000, maxNetworkRetries: 0 }))).toBe(5_000);
  });

  it("Mollie's from its client's tries (3, 2 s apart) and the timeout the plugin gives each", () => {
    const strapi = strapiWith({ timeoutMs: 1, maxNetworkRetries: 0 });
    expect(PROVIDERS.mollie!.callBudgetMs(strapi)).toBe(MOLLIE_CALL_BUDGET_MS);
    expect(MOLLIE_CALL_BUDGET_MS).toBe(3 * MOLLIE_TIMEOUT_MS + 2 * 2_000);
    // Work that may call either gateway waits for the slower one.
    expect(longestCallBudgetMs(strapi)).toBe(MOLLIE_CALL_BUDGET_MS);
    expect(longestCallBudgetMs(strapiWith({ timeoutMs: 20_000, maxNetworkRetries: 2 }))).toBe(60_000);
  });

  it('a Mollie call to a host that never answers ends at the timeout instead of hanging', async () => {
    const sockets = new Set<Socket>();
    const silent = http.createServer(() => undefined);
    silent.on('connection', (s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const { port } = silent.address() as AddressInfo;
      const client = createMollie({
        apiKey: KEY,
        overrides: mollieOverrides({ apiEndpoint: `http://127.0.0.1:${port}` }, {}),
        timeoutMs: 300,
      });
      const started = Date.now();
      await expect(client.payments.get('tr_silent1')).rejects.toThrow(/timeout/i);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});
