import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Jest globalSetup: a fresh directory for this run's logs and responses (see log-scan.ts). */
export default async function setup(): Promise<void> {
  if (process.env.IP_TEST_LOG_DIR) return; // set by an outer runner: share it
  const dir = path.join(tmpdir(), 'ip-test-logs', `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  process.env.IP_TEST_LOG_DIR = dir;
}
