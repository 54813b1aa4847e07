/**
 * Runs the Stripe stand-in from the command line (offline demo, manual testing):
 *
 *   tsx tests/support/stripe-standin/cli.ts --port 12111 \
 *     --webhook-url http://localhost:1337/api/invoice-payments/webhooks/stripe --webhook-secret whsec_...
 *
 * Env fallbacks: STANDIN_PORT, STANDIN_HOST, STANDIN_WEBHOOK_URL, STANDIN_WEBHOOK_SECRET,
 * STANDIN_AUTO_SETTLE_MS. Prints the base URL on stdout. Test support only.
 */
import { startStripeStandin, type StandinOptions } from './index';

function parseArgs(argv: readonly string[]): Map<string, string> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (!arg.startsWith('--')) continue;
    const [name, inline] = arg.slice(2).split('=', 2);
    if (inline !== undefined) args.set(name, inline);
    else if (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) {
      args.set(name, argv[i + 1]);
      i += 1;
    } else args.set(name, 'true');
  }
  return args;
}

function toInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`${name} must be a non-negative integer (got ${value})`);
  return parsed;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.has('help')) {
    process.stdout.write(
      'Usage: tsx tests/support/stripe-standin/cli.ts [--port 12111] [--host 127.0.0.1] [--webhook-url URL --webhook-secret whsec_...] [--auto-settle-ms 2000]\n',
    );
    return;
  }
  const webhookUrl = args.get('webhook-url') ?? process.env.STANDIN_WEBHOOK_URL;
  const webhookSecret = args.get('webhook-secret') ?? process.env.STANDIN_WEBHOOK_SECRET;
  if (webhookUrl && !webhookSecret) throw new Error('--webhook-url needs --webhook-secret (or STANDIN_WEBHOOK_SECRET)');
  const options: StandinOptions = {
    port: toInt(args.get('port') ?? process.env.STANDIN_PORT, 'port') ?? 12111,
    host: args.get('host') ?? process.env.STANDIN_HOST ?? '127.0.0.1',
    autoSettleDelayMs: toInt(args.get('auto-settle-ms') ?? process.env.STANDIN_AUTO_SETTLE_MS, 'auto-settle-ms'),
    webhook: webhookUrl && webhookSecret ? { url: webhookUrl, secret: webhookSecret } : undefined,
  };
  const standin = await startStripeStandin(options);
  process.stdout.write(`${standin.url}\n`);
  process.stderr.write(
    `[stripe-standin] listening on ${standin.url} (test double, not Stripe)` +
      (options.webhook ? `; delivering webhooks to ${options.webhook.url}` : '; no webhook endpoint configured') +
      '\n',
  );
  const shutdown = (): void => {
    standin.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`[stripe-standin] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
