/**
 * Runs the Mollie stand-in from the command line (offline demo, manual testing):
 *
 *   tsx tests/support/mollie-standin/cli.ts --port 12112
 *
 * Env fallbacks: MOLLIE_STANDIN_PORT, MOLLIE_STANDIN_HOST. Prints the base URL on stdout; point the
 * plugin at `<url>/v2/` with MOLLIE_API_ENDPOINT. Test support only.
 */
import { startMollieStandin } from './index';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const port = Number(arg('port') ?? process.env.MOLLIE_STANDIN_PORT ?? 12112);
  if (!Number.isInteger(port) || port < 0)
    throw new Error(`--port must be a non-negative integer (got ${String(port)})`);
  const standin = await startMollieStandin({
    port,
    host: arg('host') ?? process.env.MOLLIE_STANDIN_HOST ?? '127.0.0.1',
  });
  process.stdout.write(`${standin.url}\n`);
  process.stderr.write(
    `[mollie-standin] listening on ${standin.url} (test double, not Mollie); API at ${standin.apiEndpoint}\n`,
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
  process.stderr.write(`[mollie-standin] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
