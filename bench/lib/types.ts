import type { Client } from './db';
import type { LoadResult } from './load';
import type { PaymentCeiling, StripeCalls } from './stripe-calls';

/** The shape of bench/results/*.json, written by bench/run.ts and read by bench/lib/report.ts. */

export interface Scenario extends LoadResult {
  settledPerS?: number;
  settleSeconds?: number;
  pendingAfter?: number;
  emails?: number;
}

export interface DbResult {
  client: Client;
  version: string;
  seeding: Record<string, { rows: number; seconds: number }>;
  counts: { small: Record<string, number>; large: Record<string, number> };
  scenarios: Record<string, Scenario>;
  /** Every round of the alternating growth comparison (the scenarios hold their medians). */
  rounds: { small: Scenario[]; large: Scenario[]; floor: Scenario[] };
  /**
   * Stripe API calls by the server (its key only): settling the webhook max run and the rate
   * rounds (per paid invoice), creating intents (per request), and the rate-limit ceiling they
   * imply. Absent in results from before it was measured.
   */
  stripeCalls?: {
    settleMax?: StripeCalls;
    settleAtRate?: StripeCalls;
    intentMax?: StripeCalls;
    intentRate?: StripeCalls;
    ceiling?: PaymentCeiling;
  };
  checks: Record<string, boolean | number | string>;
  loadAverage: number[];
}

export interface BenchOutput {
  meta: {
    startedAt: string;
    finishedAt?: string;
    commit: string;
    node: string;
    cpus: string;
    memoryGiB: number;
    tool: string;
    args: { events: number; invoices: number; rate: number; quick: boolean };
  };
  results: Record<string, DbResult>;
}
