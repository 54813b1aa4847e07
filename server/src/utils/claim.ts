/**
 * Claiming a batch of work rows (webhook events, events out) in a few UPDATEs instead of one per
 * row: one UPDATE per distinct `attempts` count (one in the usual case), each matching only rows
 * still claimable, so two instances (or two ticks) never both take a row. The rows are marked with
 * a token of this claim; when not all of them were taken, the token tells which were.
 */
interface ClaimQuery {
  updateMany(args: { where: Record<string, unknown>; data: Record<string, unknown> }): Promise<{ count: number }>;
  findMany(args: { where: Record<string, unknown>; select: string[] }): Promise<unknown>;
}

let claimSeq = 0;

/** A token naming one claim of this process (`lockedBy`), for renewing it later. */
export function claimToken(owner: string): string {
  return `${owner}#${(claimSeq += 1)}`;
}

export async function claimRows(
  query: ClaimQuery,
  rows: ReadonlyArray<{ id: number; attempts: number }>,
  opts: {
    /** Where a row may be claimed now (pending, failed and due, or a lock that ran out). */
    claimable: Record<string, unknown>;
    owner: string;
    lockMs: number;
    /** The claim's token (claimToken), when the caller renews the claim later; a new one otherwise. */
    token?: string;
  },
): Promise<Set<number>> {
  const now = Date.now();
  const token = opts.token ?? claimToken(opts.owner);
  const byAttempts = new Map<number, number[]>();
  for (const row of rows) byAttempts.set(row.attempts, [...(byAttempts.get(row.attempts) ?? []), row.id]);
  let count = 0;
  for (const [attempts, ids] of byAttempts) {
    const updated = await query.updateMany({
      where: { id: { $in: ids }, attempts, ...opts.claimable },
      data: {
        status: 'processing',
        attempts: attempts + 1,
        lockedBy: token,
        lockedUntil: new Date(now + opts.lockMs),
      },
    });
    count += updated.count;
  }
  const ids = rows.map((row) => row.id);
  if (count === ids.length) return new Set(ids);
  if (count === 0) return new Set();
  const claimed = (await query.findMany({
    where: { id: { $in: ids }, lockedBy: token },
    select: ['id'],
  })) as Array<{ id: number }>;
  return new Set(claimed.map((row) => row.id));
}
