import type { Client } from './db';
import type { LoadResult } from './load';
import type { PaymentCeiling, StripeCalls } from './stripe-calls';

/** The shape of bench/results/*.json, written by bench/run.ts and read by bench/lib/report.ts. */

export interface Scenario extends LoadResult {
  settledPerS?: number;
  settleSeconds?: number;
  /** Events still pending when the drain after the run gave up (0: it drained). */
  pendingAfter?: number;
  emails?: number;
  /** Webhook rounds: events pending when the round started (0 unless the previous drain gave up). */
  pendingAtStart?: number;
  /** Emails of earlier runs (both sites) still unsent when this run was ready to start, and how long they took. */
  emailsUnsentAtStart?: number;
  emailsWaitSeconds?: number;
  /** Events stored but not yet settled when the load stopped (the backlog). */
  pendingAtStop?: number;
  /** Seconds from the last response to the last event settled (the backlog's drain). */
  drainSeconds?: number;
  /** Webhook rounds: this round's p99 ÷ the same round's floor p99 at the same rate. */
  p99VsFloor?: number;
}

/** The offered rate of the fixed-rate rounds and where it came from. */
export interface RateUsed {
  /** Requests per second offered in every fixed-rate round (floor and webhook). */
  offered: number;
  /**
   * 'floor max': `fraction` × the main run's floor max (the app the rounds use); 'calibration':
   * `fraction` × the calibration phase's floor max (older results); 'argument': `--rate=N`.
   */
  source: 'floor max' | 'calibration' | 'argument';
  fraction: number;
  /** Floor max throughput (req/s) of the calibration phase, run before seeding; it set the rate. */
  calibrationFloorMax?: number;
  /** Floor max throughput (req/s) of the main run (scenarios.floorMax), for comparison. */
  mainFloorMax?: number;
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
  /** Absent in results from before the rate was set from the floor (they used meta.args.rate). */
  rate?: RateUsed;
  /** Each round's webhook p99 ÷ floor p99 (also on each round), and the worst of all. */
  p99VsFloor?: { small: number[]; large: number[]; worst: number };
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
    /** `rate`: the `--rate=N` given, null when the rate came from the floor (older files: always a number). */
    args: { events: number; invoices: number; rate: number | null; quick: boolean };
  };
  results: Record<string, DbResult>;
}
