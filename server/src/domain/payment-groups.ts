/**
 * One provider payment for several invoices of one client (the client portal's "Pay selected").
 * Pure rules: which selections are payable, how the charge is split into one ledger share per
 * invoice, and how money that goes back (a refund, a dispute) of the shared payment is allocated
 * to those shares. No Strapi, no provider.
 *
 * Allocation rule for money going back (docs/payments.md, "Paying several invoices at once"):
 * **most recent invoice first**. A refund or dispute of the shared payment that was not made for a
 * particular invoice is taken from the share of the most recently issued invoice, then the next
 * most recent, each up to what that share still holds. Why this rule and not a proportional one:
 * every piece is a whole share or the rest of one, so there is no rounding remainder to place
 * (JPY has no minor unit, KWD amounts are charged in steps of 10 fils); earlier invoices, usually the
 * ones the client relied on longest, stay paid; and re-applying the same refunds gives the same
 * pieces, so a redelivered or reordered webhook never moves money between invoices.
 */
import { DomainError } from './errors';

export interface GroupInvoice {
  documentId: string;
  number: string;
  currency: string;
  state: string;
  balanceDue: number;
  /** ISO date (or null): orders the shares for the "most recent first" rule. */
  issueDate: string | null;
  /** Row id: the last tie-breaker, so the order is total. */
  id: number;
}

export interface GroupShare {
  invoiceDocumentId: string;
  invoiceNumber: string;
  invoiceId: number;
  /** The invoice portion of this share, minor units. */
  portion: number;
  /** This share's part of the client's surcharge (fee), minor units. */
  fee: number;
  issueDate: string | null;
}

export interface GroupPlan {
  currency: string;
  /** Shares in allocation order: most recently issued invoice first. */
  shares: GroupShare[];
  /** What the provider charges: every portion and fee. */
  amount: number;
}

export interface PlanInput {
  /** The invoices asked for, in the order the client sent them (already known to be theirs). */
  invoices: readonly GroupInvoice[];
  /** Invoice documentId -> portion asked for; an invoice left out pays its whole balance. */
  amounts?: Readonly<Record<string, number>>;
  partialAllowed: boolean;
  /** Smallest portion a partial payment may be, per invoice (the admin's limits), minor units. */
  minimumPortion: (currency: string, balance: number) => number;
  /** Multiple every amount of the currency must be of (KWD: 10). */
  step: (currency: string) => number;
  /** The client's surcharge on the total, minor units. */
  feeOf: (amount: number, currency: string) => number;
  formatMinor: (amount: number, currency: string) => string;
}

/** The admin's limits on a partial payment (Settings → Allow partial payments). */
export interface PartialLimits {
  /** Minor units of `defaultCurrency`; 0 for none. */
  minimumAmount: number;
  /** Percent of the invoice's balance, 0-100; 0 for none. */
  minimumPercent: number;
  defaultCurrency: string;
}

/**
 * The smallest partial amount an invoice accepts: the provider's minimum charge, the admin's
 * minimum (in the default currency only: it has no meaning in another), and the admin's share of
 * the balance (rounded up to the currency's step); never more than the balance itself.
 */
export function partialMinimum(
  balance: number,
  currency: string,
  limits: PartialLimits,
  rules: { providerMinimum: number; step: number },
): number {
  const byAmount = currency === limits.defaultCurrency ? Math.max(0, limits.minimumAmount) : 0;
  const pct = Math.min(100, Math.max(0, limits.minimumPercent));
  // BigInt-free: balance <= 99 999 999 and pct <= 100 stay far below 2^53.
  const raw = Math.ceil((balance * pct) / 100);
  const byPercent = Math.ceil(raw / rules.step) * rules.step;
  return Math.min(balance, Math.max(rules.providerMinimum, byAmount, byPercent));
}

const payableStates = new Set(['sent', 'viewed', 'partially_paid']);

/** Why an invoice cannot be part of a group payment, or null. Written for the client. */
export function groupInvoiceProblem(inv: Pick<GroupInvoice, 'number' | 'state' | 'balanceDue'>): string | null {
  if (inv.state === 'draft') return `Invoice ${inv.number} is a draft and cannot be paid yet.`;
  if (inv.state === 'void') return `Invoice ${inv.number} has been voided.`;
  if (inv.state === 'paid') return `Invoice ${inv.number} is already paid.`;
  if (!payableStates.has(inv.state)) return `Invoice ${inv.number} cannot be paid.`;
  if (!(inv.balanceDue > 0)) return `Invoice ${inv.number} has no balance left to pay.`;
  return null;
}

/**
 * The "most recent first" order: issue date descending (undated last), then row id descending.
 * The same order is used to split a refund or dispute back, so it is fixed when the group is made.
 */
export function recencyOrder<T extends { issueDate: string | null; id?: number; invoiceId?: number }>(
  list: readonly T[],
): T[] {
  const idOf = (x: T) => x.id ?? x.invoiceId ?? 0;
  return [...list].sort((a, b) => {
    if (a.issueDate !== b.issueDate) {
      if (a.issueDate === null) return 1;
      if (b.issueDate === null) return -1;
      return a.issueDate < b.issueDate ? 1 : -1;
    }
    return idOf(b) - idOf(a);
  });
}

/**
 * Splits `total` into integer parts proportional to `weights` (largest remainder; ties to the
 * earlier index), each a multiple of `step`. The parts always add up to `total` exactly.
 */
export function splitProportional(total: number, weights: readonly number[], step = 1): number[] {
  if (!Number.isSafeInteger(total) || total < 0) throw new DomainError('invalid_amount', 'Invalid amount to split.');
  if (!weights.length) return [];
  const sum = weights.reduce((s, w) => s + w, 0);
  const units = Math.floor(total / step);
  const rest = total - units * step;
  if (sum <= 0) {
    const parts = weights.map(() => 0);
    parts[0] = total;
    return parts;
  }
  // BigInt: units * weight can pass 2^53 for large totals.
  const exact = weights.map((w) => (BigInt(units) * BigInt(w)) / BigInt(sum));
  const remainders = weights.map((w, i) => ({ i, r: (BigInt(units) * BigInt(w)) % BigInt(sum) }));
  let left = units - exact.reduce((s, x) => s + Number(x), 0);
  remainders.sort((a, b) => (a.r === b.r ? a.i - b.i : a.r > b.r ? -1 : 1));
  const parts = exact.map((x) => Number(x) * step);
  for (const { i } of remainders) {
    if (left <= 0) break;
    parts[i]! += step;
    left -= 1;
  }
  // A total that is not a multiple of the step (never for amounts the plugin made) stays whole.
  parts[0]! += rest;
  return parts;
}

/**
 * Checks a client's selection and splits it into shares. Throws a DomainError whose message can be
 * shown to the client as is: empty or duplicate selection, mixed currencies, an invoice that is
 * not payable, a partial amount when partial payments are off or outside the limits.
 */
export function planGroupPayment(input: PlanInput): GroupPlan {
  const { invoices } = input;
  if (!invoices.length) throw new DomainError('empty_selection', 'Choose at least one invoice to pay.');
  const seen = new Set<string>();
  for (const inv of invoices) {
    if (seen.has(inv.documentId))
      throw new DomainError('duplicate_invoice', `Invoice ${inv.number} is selected more than once.`, {
        invoice: inv.documentId,
      });
    seen.add(inv.documentId);
  }
  const currencies = [...new Set(invoices.map((i) => i.currency))];
  if (currencies.length > 1)
    throw new DomainError(
      'mixed_currencies',
      `Invoices in different currencies (${currencies.join(', ')}) cannot be paid together: pay each currency separately.`,
      { currencies },
    );
  const currency = currencies[0]!;
  for (const inv of invoices) {
    const problem = groupInvoiceProblem(inv);
    if (problem) throw new DomainError('invoice_not_payable', problem, { invoice: inv.documentId });
  }
  const amounts = input.amounts ?? {};
  for (const key of Object.keys(amounts))
    if (!seen.has(key))
      throw new DomainError('amount_for_unselected', 'An amount was given for an invoice that is not selected.', {
        invoice: key,
      });
  const step = input.step(currency);
  const portions = invoices.map((inv) => {
    const asked = amounts[inv.documentId];
    if (asked === undefined || asked === inv.balanceDue) return inv.balanceDue;
    if (!input.partialAllowed)
      throw new DomainError(
        'partial_not_allowed',
        `Partial payments are not enabled: pay the full balance of invoice ${inv.number}.`,
        { invoice: inv.documentId },
      );
    if (!Number.isSafeInteger(asked))
      throw new DomainError(
        'invalid_amount',
        `The amount for invoice ${inv.number} must be a whole number of minor units (for example 1050 for 10.50).`,
        { invoice: inv.documentId },
      );
    const min = Math.min(input.minimumPortion(currency, inv.balanceDue), inv.balanceDue);
    if (asked < min)
      throw new DomainError(
        'amount_below_minimum',
        `The amount for invoice ${inv.number} must be at least ${input.formatMinor(min, currency)}.`,
        { invoice: inv.documentId, minimum: min },
      );
    if (asked > inv.balanceDue)
      throw new DomainError(
        'amount_above_balance',
        `The amount for invoice ${inv.number} cannot be more than its balance due, ${input.formatMinor(inv.balanceDue, currency)}.`,
        { invoice: inv.documentId },
      );
    if (asked % step !== 0)
      throw new DomainError('amount_step', `${currency} amounts must be a multiple of ${step}.`, {
        invoice: inv.documentId,
      });
    return asked;
  });
  const ordered = recencyOrder(invoices.map((inv, i) => ({ ...inv, portion: portions[i]! })));
  const totalPortion = ordered.reduce((s, x) => s + x.portion, 0);
  if (!Number.isSafeInteger(totalPortion))
    throw new DomainError('invalid_amount', 'The total of the selected invoices is too large to pay at once.');
  const fee = input.feeOf(totalPortion, currency);
  const fees = splitProportional(
    fee,
    ordered.map((x) => x.portion),
    fee % step === 0 ? step : 1,
  );
  return {
    currency,
    amount: totalPortion + fee,
    shares: ordered.map((x, i) => ({
      invoiceDocumentId: x.documentId,
      invoiceNumber: x.number,
      invoiceId: x.id,
      portion: x.portion,
      fee: fees[i]!,
      issueDate: x.issueDate,
    })),
  };
}

/**
 * Splits `amount` over capacities in allocation order: each takes what it can hold, the first
 * first. The parts add up to min(amount, sum of capacities).
 */
export function allocateMostRecentFirst(amount: number, capacities: readonly number[]): number[] {
  let left = Math.max(0, amount);
  return capacities.map((c) => {
    const take = Math.min(left, Math.max(0, c));
    left -= take;
    return take;
  });
}

/** A refund of the shared payment, as the provider lists it. */
export interface GroupRefund {
  id: string;
  /** Total refunded (portions + fee parts), minor units. */
  amount: number;
  /** Whether it holds (or took) money: pending, requires_action or succeeded. */
  holds: boolean;
  /** The share (index in allocation order) it was made for, or null when made for the whole payment. */
  target: number | null;
  /** Creation time at the provider: untargeted refunds are allocated oldest first. */
  created: number;
  /**
   * The pieces of an untargeted refund already on record, per share (null: none booked there).
   * Booked pieces never move: a refund that fails later must not push another onto a new invoice.
   */
  booked?: ReadonlyArray<number | null>;
}

/**
 * Where each refund of a shared payment belongs: a refund made for one invoice (the admin's refund
 * on that invoice) is all that share's; any other refund is split most recent invoice first over
 * what each share still holds after the targeted refunds and the earlier untargeted ones. Pieces
 * already booked (`booked`) stay as they are, so a refund that fails later (its money back) never
 * moves another refund onto a different invoice; refunds that no longer hold money (failed,
 * canceled) take no room from later ones. Returns, per refund id, the
 * pieces per share (in allocation order).
 */
export function allocateGroupRefunds(
  shareTotals: readonly number[],
  refunds: readonly GroupRefund[],
): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const left = [...shareTotals];
  for (const r of refunds) {
    if (r.target === null) continue;
    const pieces = shareTotals.map(() => 0);
    pieces[r.target] = r.amount;
    if (r.holds) left[r.target] = left[r.target]! - r.amount;
    out.set(r.id, pieces);
  }
  const bookedOf = (r: GroupRefund) => {
    const b = r.booked?.map((x) => (x === null || x === undefined ? null : Math.max(0, x)));
    const sum = (b ?? []).reduce<number>((s, x) => s + (x ?? 0), 0);
    return b && b.some((x) => x !== null) && sum <= r.amount ? b : null;
  };
  // Refunds already booked first (their pieces are on record), then the new ones oldest first.
  const untargeted = refunds
    .filter((r) => r.target === null)
    .sort(
      (a, b) =>
        Number(bookedOf(b) !== null) - Number(bookedOf(a) !== null) ||
        a.created - b.created ||
        (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
  for (const r of untargeted) {
    const booked = bookedOf(r);
    let pieces: number[];
    if (booked) {
      // Only what is not on record yet (a crash between two shares' bookings) is placed, on the
      // shares without a piece.
      const rest = r.amount - booked.reduce<number>((s, x) => s + (x ?? 0), 0);
      const more = allocateMostRecentFirst(
        rest,
        left.map((c, i) => (booked[i] === null ? c : 0)),
      );
      pieces = booked.map((x, i) => (x ?? 0) + more[i]!);
    } else pieces = allocateMostRecentFirst(r.amount, left);
    // More than the shares hold (never, at the provider's word): the rest stays on the first share.
    const placed = pieces.reduce((s, x) => s + x, 0);
    if (placed < r.amount && pieces.length) pieces[0]! += r.amount - placed;
    if (r.holds) pieces.forEach((p, i) => (left[i] = left[i]! - p));
    out.set(r.id, pieces);
  }
  return out;
}

/** A dispute of the shared payment, split most recent first over the shares' net amounts. */
export function allocateGroupDispute(disputed: number, shareNet: readonly number[]): number[] {
  const pieces = allocateMostRecentFirst(disputed, shareNet);
  const placed = pieces.reduce((s, x) => s + x, 0);
  if (placed < disputed && pieces.length) pieces[0]! += disputed - placed;
  return pieces;
}

/** One share as a dispute sees it: its invoice portion, its surcharge, and what refunds took back. */
export interface DisputeShare {
  portion: number;
  fee: number;
  /** Refunded from this share and still holding money (portion and fee parts), minor units. */
  held: number;
}

/**
 * Each share's disputed amount, as its ledger entry books it (`disputedAmount`, in invoice-portion
 * minor units like every ledger amount). A provider's dispute is of the whole charge, surcharge
 * included (Stripe's Dispute.amount: "usually the amount of the charge",
 * https://docs.stripe.com/api/disputes/object), so it is split most recent invoice first over what
 * each share still holds of the charge (portion + fee − refunds); each share then books at most its
 * portion, exactly as a payment for one invoice books min(dispute, portion) (services/settlement).
 */
export function groupDisputedPortions(disputed: number, shares: readonly DisputeShare[]): number[] {
  const pieces = allocateGroupDispute(
    disputed,
    shares.map((s) => Math.max(0, s.portion + s.fee - s.held)),
  );
  return pieces.map((piece, i) => Math.min(piece, shares[i]!.portion));
}
