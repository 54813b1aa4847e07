import type { ChildProcess, StdioOptions } from 'node:child_process';

/** Types of scripts/mail-catcher.js (the demo's maildev), for the tests that start it. */
export function startMailCatcher(opts: {
  smtpPort: number;
  webPort: number;
  stdio?: StdioOptions;
}): { child: ChildProcess; url: string; ready: Promise<void> } | null;
export function waitForPort(port: number, timeoutMs?: number): Promise<void>;
