import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type Stripe from 'stripe';
import {
  disputeStatusOf,
  mapDispute,
  paymentStatus,
  STRIPE_DISPUTE_STATUS,
  type KnownStripeDisputeStatus,
} from '../../server/src/providers/stripe/mappers';
import type { DisputeStatus } from '../../server/src/domain';

/**
 * Every Dispute.Status of stripe 23.1.0 and its meaning, from https://docs.stripe.com/api/disputes/object
 * and https://docs.stripe.com/disputes/how-disputes-work (read 2026-11-23). The Record type makes a
 * status added to the SDK fail the typecheck until this table (and the mapper) know it.
 */
const EXPECTED: Record<KnownStripeDisputeStatus, DisputeStatus> = {
  warning_needs_response: 'open', // inquiry, answer to avoid a chargeback
  warning_under_review: 'open',
  warning_closed: 'closed', // inquiry closed without becoming a chargeback
  needs_response: 'open', // chargeback, funds withdrawn
  under_review: 'open',
  appeal_needs_response: 'open', // second round: not decided
  appeal_under_review: 'open',
  won: 'won',
  lost: 'lost',
  prevented: 'closed', // stopped before a chargeback: money kept, no fee
};

/** The literal members of `Dispute.Status` as written in the installed SDK's declaration file. */
function sdkStatuses(): string[] {
  // The package's exports map hides its files: start from the main entry (cjs/stripe.cjs.node.js).
  const file = join(dirname(require.resolve('stripe')), 'resources', 'Disputes.d.ts');
  const source = readFileSync(file, 'utf8');
  const ns = source.slice(source.indexOf('export declare namespace Dispute {'));
  const line = /\n\s*type Status = ([^;]+);/.exec(ns);
  if (!line) throw new Error(`Dispute.Status not found in ${file}`);
  return [...line[1].matchAll(/'([a-z_]+)'/g)].map((m) => m[1]);
}

const charge = (status: string): Stripe.Dispute =>
  ({ id: 'dp_1', amount: 1000, currency: 'usd', status, reason: 'fraudulent' }) as unknown as Stripe.Dispute;
const succeeded = {
  status: 'succeeded',
  amount_received: 1000,
  last_payment_error: null,
} as unknown as Stripe.PaymentIntent;

describe('Stripe dispute statuses', () => {
  it('the table covers exactly the statuses of the installed SDK', () => {
    expect(Object.keys(STRIPE_DISPUTE_STATUS).sort()).toEqual(sdkStatuses().sort());
    expect(sdkStatuses()).toHaveLength(10);
  });

  it.each(Object.entries(EXPECTED))('%s means %s', (status, meaning) => {
    expect(disputeStatusOf(status)).toBe(meaning);
    expect(mapDispute(charge(status))).toMatchObject({ status: meaning, providerStatus: status });
  });

  it('only open and lost disputes make a succeeded payment disputed', () => {
    for (const [status, meaning] of Object.entries(EXPECTED)) {
      const expected = meaning === 'open' || meaning === 'lost' ? 'disputed' : 'succeeded';
      expect([status, paymentStatus(succeeded, 0, mapDispute(charge(status)))]).toEqual([status, expected]);
    }
  });

  it('a status the SDK does not list is unknown, not a guess', () => {
    for (const s of ['appeal_closed', 'charge_refunded', '', 'WON', 'toString', '__proto__', 'constructor']) {
      expect([s, disputeStatusOf(s)]).toEqual([s, 'unknown']);
    }
    const mapped = mapDispute(charge('pre_arbitration_pending'));
    expect(mapped).toMatchObject({ status: 'unknown', providerStatus: 'pre_arbitration_pending' });
    // The charge's own status stands; settlement keeps an earlier "disputed" and flags the invoice.
    expect(paymentStatus(succeeded, 0, mapped)).toBe('succeeded');
  });
});
