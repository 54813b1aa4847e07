import { existsSync, rmSync } from 'node:fs';
import { scanDir } from './log-scan';

/**
 * Jest globalTeardown: scans every log line and response body the run's Strapi instances produced.
 * A secret key or signing secret in the clear fails the run (the excerpt printed is masked).
 */
export default async function teardown(): Promise<void> {
  const dir = process.env.IP_TEST_LOG_DIR;
  if (!dir || !existsSync(dir)) return;
  const { files, lines, findings } = scanDir(dir);
  if (findings.length > 0) {
    const list = findings
      .slice(0, 20)
      .map((f) => `  ${f.what} in ${f.file}:${f.line}: …${f.excerpt}…`)
      .join('\n');
    throw new Error(
      `Secret scan: ${findings.length} secret(s) in the clear in this run's logs/responses (kept in ${dir}):\n${list}`,
    );
  }
  process.stdout.write(
    `\n[secret scan] ${lines.toLocaleString('en')} log and response lines from ${files} files: no secret key or signing secret in the clear.\n`,
  );
  if (process.env.IP_KEEP_TEST_LOGS !== '1') rmSync(dir, { recursive: true, force: true });
}
