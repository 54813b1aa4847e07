import { randomBytes } from 'node:crypto';
import type { Core } from '@strapi/strapi';
import type { PaymentProvider, ProviderEvent, ProviderPayment, WebhookAction, WebhookParser } from '../providers/types';
import { providerActor } from '../utils/actor';
import { LEGACY_PROVIDER_ID } from '../providers/registry';
import { UID, PLUGIN_ID } from '../utils/plugin-id';
import { getService } from '../utils/get-service';
import { isUniqueViolation } from '../utils/unique-violation';
import { eventLoopLoad } from '../utils/event-loop-load';
import { storableEvent } from '../utils/storable-event';
import { insertNow } from '../utils/insert-row';
import { conflict, notFound, reasonOf } from '../utils/errors';
import type { PluginConfig } from '../config';
import type { Actor } from './settings';
import type { AuditInput } from './audit';
import type { AfterCommit, SyncContext, SyncOutcome } from './settlement';
import { claimRows } from '../utils/claim';

export interface EventRow {
  id: number;
  documentId: string;
  providerEventId: string;
  /** The provider that sent it (providers/registry.ts); null on rows stored before the column. */
  provider: string | null;
  type: string;
  objectId: string | null;
  livemode: boolean;
  apiVersion?: string | null;
  providerCreated?: number | string | null;
  payload?: unknown;
  status: 'received' | 'processing' | 'processed' | 'failed' | 'dead_lettered' | 'ignored';
  attempts: number;
  lockedUntil: string | null;
  nextAttemptAt: string | null;
}

/** The stored event, as its provider's parser reads it. */
function eventOf(row: EventRow): ProviderEvent {
  return {
    id: row.providerEventId,
    type: row.type,
    created: Number(row.providerCreated ?? 0),
    livemode: row.livemode,
    apiVersion: row.apiVersion ?? null,
    objectId: row.objectId,
    objectType: null,
    payload: row.payload ?? null,
  };
}

/**
 * The final state an event shows (WebhookAction.final), when it may be booked without a read: in
 * the mode of the saved key. A test-mode event reaching a live site (a signing secret of the other
 * mode saved by mistake) is read with the site's key instead, which finds no such payment.
 */
function finalPayment(provider: PaymentProvider, action: WebhookAction): ProviderPayment | null {
  if (action.kind !== 'payment' || !action.final) return null;
  return provider.livemode !== null && action.final.livemode === provider.livemode ? action.final : null;
}

/**
 * Events about the same payment share a key: queued together, they are settled with one read of
 * the payment (each was stored before that read starts, so the read sees what each reported).
 */
function coalesceKey(providerId: string, action: WebhookAction): string | null {
  if (action.kind === 'not_supported' || action.kind === 'fee' || !action.providerPaymentId) return null;
  return `${providerId}:${action.providerPaymentId}`;
}

type Ignored = { outcome: 'ignored'; reason: string };
const ignored = (reason: string): Ignored => ({ outcome: 'ignored', reason });

export const instanceId = `${process.pid}-${randomBytes(3).toString('hex')}`;

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const events = () => strapi.db.query(UID.webhookEvent);
  const config = () => strapi.config.get<PluginConfig>(`plugin::${PLUGIN_ID}`).worker;

  function backoffMs(attempts: number): number {
    const { backoffMs: base, maxBackoffMs } = config();
    return Math.min(maxBackoffMs, base * 2 ** Math.max(0, attempts - 1));
  }

  /**
   * Settles what one or more events about the same payment report: the provider turns each into
   * a neutral action, and the payment is re-read once and applied (services/settlement.ts).
   */
  async function dispatch(rows: EventRow[]): Promise<SyncOutcome> {
    const last = rows[rows.length - 1]!;
    const provider = await getService(strapi, 'providers').forRow(last);
    const ctx = {
      provider,
      actor: providerActor(provider, `${provider.label} webhook`),
      eventId: last.providerEventId,
    };
    const actions = rows.map((row) => provider.webhookAction(eventOf(row)));
    if (actions.length === 1) return settleOne(provider, actions[0]!, ctx);
    // Coalesced: every action names the same payment (coalesceKey).
    const paymentId = (actions[0] as { providerPaymentId: string }).providerPaymentId;
    const checkout = [...actions].reverse().find((a) => a.kind === 'checkout');
    const withRefunds = actions.some((a) => a.kind === 'refund');
    const settlement = getService(strapi, 'settlement');
    return checkout
      ? settlement.syncCheckoutPayment(checkout.objectId!, paymentId, ctx, { withRefunds })
      : settlement.syncPayment(paymentId, ctx, { withRefunds });
  }

  async function settleOne(provider: PaymentProvider, action: WebhookAction, ctx: SyncContext): Promise<SyncOutcome> {
    const settlement = getService(strapi, 'settlement');
    switch (action.kind) {
      case 'not_supported':
        return ignored(action.reason);
      case 'checkout':
        return action.providerPaymentId
          ? settlement.syncCheckoutPayment(action.objectId, action.providerPaymentId, ctx)
          : settlement.syncCheckoutSession(action.objectId, ctx);
      case 'fee': {
        // The provider's fee became known: worth a read only while the ledger lacks it.
        const where = action.providerPaymentId
          ? { providerPaymentId: action.providerPaymentId }
          : { chargeId: action.objectId };
        const local = (await strapi.db
          .query(UID.payment)
          .findOne({ where, select: ['id', 'providerFee', 'providerPaymentId'] })) as {
          providerFee: number | null;
          providerPaymentId: string | null;
        } | null;
        if (!local?.providerPaymentId || local.providerFee != null)
          return ignored(`Nothing to update from ${action.objectId}.`);
        return settlement.syncPayment(local.providerPaymentId, ctx);
      }
      default: {
        // A final state the verified event shows: booked without reading the payment again.
        const final = finalPayment(provider, action);
        if (final) return getService(strapi, 'settlement').applyPayment(final, { ...ctx, final: true });
        const paymentId = await provider.paymentIdFor(action);
        if (!paymentId) return ignored(`${action.objectId} is not attached to a payment.`);
        // A failed refund leaves the payment looking unrefunded: read the refund list whatever it says.
        return settlement.syncPayment(paymentId, ctx, { withRefunds: action.kind === 'refund' });
      }
    }
  }

  /**
   * Claims an event through the database so that one instance (and one worker tick) processes it:
   * the UPDATE only matches while the row is still claimable, and only one writer can match it.
   */
  async function claim(row: EventRow): Promise<boolean> {
    const now = new Date();
    const { count } = await events().updateMany({
      where: {
        id: row.id,
        attempts: row.attempts,
        $or: [{ status: { $in: ['received', 'failed'] } }, { status: 'processing', lockedUntil: { $lt: now } }],
      },
      data: {
        status: 'processing',
        attempts: row.attempts + 1,
        lockedBy: instanceId,
        lockedUntil: new Date(now.getTime() + config().lockMs),
      },
    });
    return count === 1;
  }

  /** claim() for a batch, inside its transaction (utils/claim.ts). Returns the ids claimed. */
  async function claimMany(rows: EventRow[]): Promise<Set<number>> {
    return claimRows(events(), rows, {
      claimable: {
        $or: [{ status: { $in: ['received', 'failed'] } }, { status: 'processing', lockedUntil: { $lt: new Date() } }],
      },
      owner: instanceId,
      lockMs: config().lockMs,
    });
  }

  /**
   * outcomeData for a batch's events in one UPDATE for the settled ones (their invoices by a CASE
   * on the id) and one per reason for the ignored ones. Inside the batch's transaction.
   */
  async function markOutcomes(outcomes: Array<{ id: number; result: SyncOutcome }>): Promise<void> {
    const settled: Array<{ id: number; invoiceDocumentId: string }> = [];
    const ignoredByReason = new Map<string, number[]>();
    for (const { id, result } of outcomes) {
      if (result.outcome === 'settled') settled.push({ id, invoiceDocumentId: result.invoice.documentId });
      else ignoredByReason.set(result.reason, [...(ignoredByReason.get(result.reason) ?? []), id]);
    }
    for (const [reason, ids] of ignoredByReason)
      await events().updateMany({ where: { id: { $in: ids } }, data: outcomeData(ignored(reason)) });
    if (settled.length === 0) return;
    // outcomeData's, through the query builder: it maps the names to columns but converts no
    // value, so these are what updateMany's conversion would produce (strings, null, a Date).
    const cases = settled.map(() => 'WHEN ? THEN ?').join(' ');
    await strapi.db
      .queryBuilder(UID.webhookEvent)
      .update({
        status: 'processed',
        processedAt: new Date(),
        lastError: null,
        lockedUntil: null,
        lockedBy: null,
        invoiceDocumentId: strapi.db.connection.raw(`CASE ?? ${cases} END`, [
          'id',
          ...settled.flatMap((s) => [s.id, s.invoiceDocumentId]),
        ]),
      })
      .where({ id: { $in: settled.map((s) => s.id) } })
      .execute();
  }

  /**
   * Events waiting in this process, oldest first, and the waiting ones per coalescing key: taking
   * one takes every other queued event about the same payment (they share one read).
   */
  interface Queued {
    id: number;
    key: string | null;
    taken: boolean;
  }
  const queue: Queued[] = [];
  const byKey = new Map<string, Queued[]>();
  let waiting = 0;
  const MAX_QUEUED = 10_000;
  let active = 0;
  /** The events of the queue's batches under way (taken from the queue, maybe not claimed yet). */
  const inFlight = new Set<number>();
  /** Emails and provider calls after batches' commits, still running (settleFinals). */
  const followUps = new Set<Promise<void>>();
  /** Webhook deliveries this process is answering right now, and when the last one came in. */
  let arriving = 0;
  let lastArrivalAt = 0;
  let lastStartAt = 0;
  let wakeUp: NodeJS.Timeout | null = null;
  const loopLoad = eventLoopLoad();

  /** The next waiting event and the queued events sharing its key. */
  function takeNext(): number[] | null {
    while (queue.length > 0) {
      const first = queue.shift()!;
      if (first.taken) continue;
      const group = first.key ? (byKey.get(first.key) ?? [first]) : [first];
      if (first.key) byKey.delete(first.key);
      for (const q of group) q.taken = true;
      waiting -= group.length;
      return group.map((q) => q.id);
    }
    return null;
  }

  /** The id of the oldest event waiting in the queue (first in), null when none is. */
  function oldestWaiting(): number | null {
    for (const q of queue) if (!q.taken) return q.id;
    return null;
  }

  /** Up to `max` groups (takeNext), settled together. */
  function takeBatch(max: number): number[][] {
    const batch: number[][] = [];
    for (let group = takeNext(); group; group = batch.length + 1 < max ? takeNext() : null) batch.push(group);
    return batch;
  }

  /**
   * Answering the provider comes first (Stripe's own advice: acknowledge, then do the work). While
   * deliveries are coming in, settlement only takes what the event loop leaves over: one event at
   * a time, started only when the loop was less than BUSY in the last 100 ms, and at least one per
   * second so it never stops. Between bursts the full `worker.concurrency` applies.
   */
  const BUSY = 0.6;
  const QUIET_MS = 200;
  /** Groups settled per batch (one transaction for those that need no provider call). */
  const BATCH = 32;
  const BATCH_UNDER_LOAD = 8;
  function underLoad(): boolean {
    return arriving > 0 || Date.now() - lastArrivalAt < QUIET_MS;
  }
  function mayStart(): boolean {
    return !underLoad() || loopLoad() < BUSY || Date.now() - lastStartAt >= 1000;
  }

  function pump(): void {
    const configured = Math.max(1, config().concurrency ?? 16);
    const limit = underLoad() ? 1 : configured;
    while (active < limit && waiting > 0 && mayStart()) {
      // Under load smaller batches: a batch's transaction holds SQLite's one connection, which
      // the deliveries being answered are waiting for.
      const batch = takeBatch(underLoad() ? BATCH_UNDER_LOAD : BATCH);
      if (batch.length === 0) break;
      active += 1;
      lastStartAt = Date.now();
      const ids = batch.flat();
      for (const id of ids) inFlight.add(id);
      // processQueued catches and logs its own errors, so this chain never rejects.
      void processQueued(batch).finally(() => {
        for (const id of ids) inFlight.delete(id);
        active -= 1;
        pump();
      });
    }
    // Events are waiting for the load to drop: look again shortly.
    if (waiting > 0 && active < configured && !wakeUp) {
      wakeUp = setTimeout(() => {
        wakeUp = null;
        pump();
      }, 50);
      wakeUp.unref();
    }
  }

  /**
   * Settles queued groups of events (takeBatch). A group whose one event shows its payment's final
   * state needs no provider call: all such groups are settled in one transaction (settleFinals),
   * the others one group at a time, each event claimed on its own (another instance may hold some).
   */
  async function processQueued(groups: number[][]): Promise<void> {
    // One read of the settings for the batch and the emails after it (services/settings.ts).
    return getService(strapi, 'settings').withSnapshot(() => settleQueued(groups));
  }

  async function settleQueued(groups: number[][]): Promise<void> {
    const ids = groups.flat();
    try {
      const rows = (await events().findMany({ where: { id: { $in: ids } }, orderBy: { id: 'asc' } })) as EventRow[];
      const byId = new Map(rows.map((row) => [row.id, row]));
      await settleGroups(groups.map((group) => group.flatMap((id) => byId.get(id) ?? [])));
    } catch (error) {
      strapi.log.warn(
        `[invoice-payments] webhook event${ids.length > 1 ? 's' : ''} #${ids.join(', #')} will be retried: ${reasonOf(error)}`,
      );
    }
  }

  /**
   * Settles groups of stored events (each group about one payment): those whose one event shows
   * the payment's final state together (settleFinals), the others one group at a time.
   */
  async function settleGroups(groups: EventRow[][], providers = new Map<string, PaymentProvider>()): Promise<void> {
    const finals: Final[] = [];
    const others: EventRow[][] = [];
    for (const groupRows of groups) {
      const final = groupRows.length === 1 ? await finalOf(groupRows[0]!, providers) : null;
      if (final) finals.push(final);
      else if (groupRows.length) others.push(groupRows);
    }
    if (finals.length && groupCommit()) await settleFinals(finals);
    else for (const f of finals) await claimAndExecute([f.row]);
    for (const groupRows of others) await claimAndExecute(groupRows);
  }

  /** The provider an event came from, built once per batch; null when it cannot be (no key saved). */
  async function providerOf(row: EventRow, providers: Map<string, PaymentProvider>): Promise<PaymentProvider | null> {
    const id = row.provider || LEGACY_PROVIDER_ID;
    const known = providers.get(id);
    if (known) return known;
    const built = await getService(strapi, 'providers')
      .forRow(row)
      .catch(() => null);
    if (built) providers.set(id, built);
    return built;
  }

  /** Stored events grouped as the in-process queue groups them (coalesceKey), oldest first. */
  async function groupByKey(rows: EventRow[], providers: Map<string, PaymentProvider>): Promise<EventRow[][]> {
    const groups: EventRow[][] = [];
    const byKey = new Map<string, EventRow[]>();
    for (const row of rows) {
      const provider = await providerOf(row, providers);
      const key = provider ? coalesceKey(provider.id, provider.webhookAction(eventOf(row))) : null;
      const same = key ? byKey.get(key) : undefined;
      if (same) {
        same.push(row);
        continue;
      }
      const group = [row];
      groups.push(group);
      if (key) byKey.set(key, group);
    }
    return groups;
  }

  async function claimAndExecute(rows: EventRow[]): Promise<void> {
    const claimed: Array<{ row: EventRow; attempts: number }> = [];
    for (const row of rows) if (await claim(row)) claimed.push({ row, attempts: row.attempts + 1 });
    if (claimed.length) await execute(claimed);
  }

  interface Final {
    row: EventRow;
    payment: ProviderPayment;
    ctx: SyncContext;
    /**
     * The invoice its metadata names: the lock it takes unless its ledger entry is on another one
     * (settleFinals; batches lock invoices in order: no deadlock between them).
     */
    lockKey: string;
  }

  /** The event's final payment state (WebhookAction.final), when settling it needs no provider call. */
  async function finalOf(row: EventRow, providers: Map<string, PaymentProvider>): Promise<Final | null> {
    // A provider that cannot be built (no key saved) is reported by the ordinary path.
    const provider = await providerOf(row, providers);
    if (!provider) return null;
    const payment = finalPayment(provider, provider.webhookAction(eventOf(row)));
    // A Checkout payment may need a provider call to find its session (settlement.applyPayment).
    // A multi-invoice payment takes several invoice locks: settled on its own, not in a batch.
    if (!payment?.metadata || payment.metadata.viaCheckout || payment.metadata.paymentGroupId) return null;
    return {
      row,
      payment,
      lockKey: payment.metadata.invoiceDocumentId,
      ctx: {
        provider,
        actor: providerActor(provider, `${provider.label} webhook`),
        eventId: row.providerEventId,
        final: true,
      },
    };
  }

  /**
   * Not on MySQL/MariaDB: InnoDB's default REPEATABLE READ fixes a transaction's snapshot at its
   * first plain read, so every invoice settled after the first one in a batch would be computed
   * from reads older than its lock (a payment committed meanwhile unseen). Each settlement there
   * runs in its own transaction, which starts with the invoice's locking read (utils/lock.ts).
   * PostgreSQL's READ COMMITTED reads what is committed at each statement; SQLite has one writer.
   */
  const groupCommit = () => strapi.db.dialect.client !== 'mysql';

  /**
   * Group commit: claims, settles and marks every event of the batch in one transaction, so the
   * database commits (a disk flush each on SQLite) once per batch instead of several times per
   * event; the emails and provider calls that follow run after the commit. When anything in it
   * fails, all of it rolls back and each event is settled on its own, so one bad event never
   * holds back the others and gets its own failure, retry and dead letter.
   */
  async function settleFinals(finals: Final[]): Promise<void> {
    const settlement = getService(strapi, 'settlement');
    const after: AfterCommit[] = [];
    const ordered = [...finals].sort((a, b) =>
      a.lockKey < b.lockKey ? -1 : a.lockKey > b.lockKey ? 1 : a.row.id - b.row.id,
    );
    try {
      // The batch's events out (each recompute's, the audit entries') are written in one INSERT.
      const out = getService(strapi, 'events-out');
      await strapi.db.transaction(() =>
        out.together(async () => {
          const claimed = await claimMany(ordered.map((f) => f.row));
          const settling = ordered.filter((f) => claimed.has(f.row.id));
          // The invoice each payment's ledger entry is on, for the whole batch in one read: that
          // invoice's lock is taken (the metadata's when there is no entry), in invoice order.
          const recorded = await settlement.recordedInvoices(settling.map((f) => f.payment.id));
          const lockOf = (f: Final) => recorded.get(f.payment.id) ?? f.lockKey;
          settling.sort((a, b) => (lockOf(a) < lockOf(b) ? -1 : lockOf(a) > lockOf(b) ? 1 : a.row.id - b.row.id));
          // Every invoice locked and every ledger entry read in one statement each (holdForBatch).
          const held = await settlement.holdForBatch(
            settling.map(lockOf),
            settling.map((f) => f.payment.id),
          );
          const audits: AuditInput[] = [];
          const outcomes: Array<{ id: number; result: SyncOutcome }> = [];
          // The writes of invoices only one event of the batch settles are done together, once all
          // of them reached each (settlement.parkWrites).
          const perInvoice = new Map<string, number>();
          for (const f of settling) perInvoice.set(lockOf(f), (perInvoice.get(lockOf(f)) ?? 0) + 1);
          const singles = new Set([...perInvoice].filter(([, n]) => n === 1).map(([key]) => key));
          const writes = settlement.parkWrites(held, singles);
          const settlements: Array<Promise<void>> = [];
          let failure: { error: unknown } | null = null;
          try {
            for (const f of settling) {
              const { done } = await writes.start(async () => {
                const result = await settlement.applyPayment(f.payment, {
                  ...f.ctx,
                  recordedFor: recorded.get(f.payment.id) ?? null,
                  held,
                  afterCommit: (w) => after.push(w),
                  audit: (entry) => audits.push(entry),
                });
                outcomes.push({ id: f.row.id, result });
              });
              settlements.push(done);
            }
            await writes.flush();
          } catch (error) {
            failure = { error };
            // Those still parked end with the batch's failure.
            writes.abandon(error);
          }
          // Every settlement ends before the batch does (commits or rolls back): none may go on
          // writing once the transaction is gone.
          const ended = await Promise.allSettled(settlements);
          if (failure) throw failure.error;
          for (const end of ended) if (end.status === 'rejected') throw end.reason;
          // Set-based writes: the batch's emails and audit entries in one INSERT each, its outcomes
          // in one UPDATE.
          await getService(strapi, 'notifications').queuePaymentNotices(held.notices);
          await getService(strapi, 'audit').logMany(audits);
          await markOutcomes(outcomes);
        }),
      );
    } catch (error) {
      strapi.log.warn(
        `[invoice-payments] a batch of ${finals.length} webhook events is settled one by one: ${reasonOf(error)}`,
      );
      for (const f of ordered) await claimAndExecute([f.row]);
      return;
    }
    // The emails and provider calls that follow do not hold the batch's place: the next batch
    // settles while they wait on the mail server and the provider (tracked for idle() and stop()).
    const followUp: Promise<void> = (async () => {
      await getService(strapi, 'notifications').sendQueuedMany(after.flatMap((w) => w.notices));
      for (const w of after) {
        await w
          .rest()
          .catch((error) =>
            strapi.log.warn(`[invoice-payments] follow-up of a settled payment failed: ${reasonOf(error)}`),
          );
      }
    })()
      .catch((error) => {
        strapi.log.warn(`[invoice-payments] follow-up of settled payments failed: ${reasonOf(error)}`);
      })
      .finally(() => followUps.delete(followUp));
    followUps.add(followUp);
  }

  /**
   * One batch of runDue: events whose time has come, settled as the in-process queue settles them
   * (settleGroups: in one transaction where they need no provider call). A new event is left to
   * this process's queue while it holds any (it is most likely there, settled in batches by pump):
   * taking it here too would settle the same backlog a second way beside it, fighting over the
   * same rows. Those stored before the oldest event waiting in the queue are taken all the same.
   */
  async function runDueBatch(limit: number): Promise<{ count: number; stop: boolean }> {
    const now = new Date();
    // While the queue holds events, those stored before the oldest one waiting in it are not in it
    // (first in, first out): stored by an instance that stopped, past MAX_QUEUED, or left by a batch
    // that failed before its claims. Left to an empty queue, they would wait as long as the load
    // lasts (the queue is never empty at a tick under sustained load): taken here, they wait at
    // most as long as the queue's backlog. The queue's batches under way are left to them too
    // (either way an event is claimed once: claim matches only a claimable row).
    const oldest = oldestWaiting();
    const unlocked = { $or: [{ lockedUntil: null }, { lockedUntil: { $lt: now } }] };
    const notInFlight = inFlight.size ? { id: { $notIn: [...inFlight] } } : {};
    const beforeQueue = oldest === null ? {} : { id: { $lt: oldest } };
    const fresh = { status: 'received', $and: [beforeQueue, notInFlight], ...unlocked };
    const due = (await events().findMany({
      where: {
        $or: [
          fresh,
          { status: 'failed', nextAttemptAt: { $lte: now } },
          { status: 'processing', lockedUntil: { $lt: now } },
        ],
      },
      orderBy: { id: 'asc' },
      limit,
    })) as EventRow[];
    // Background work too: it waits while the loop is busy answering deliveries.
    if (due.length === 0 || (underLoad() && loopLoad() >= BUSY)) return { count: 0, stop: true };
    const providers = new Map<string, PaymentProvider>();
    await settleGroups(await groupByKey(due, providers), providers);
    return { count: due.length, stop: due.length < limit };
  }

  async function process(row: EventRow): Promise<void> {
    if (!(await claim(row))) return;
    await execute([{ row, attempts: row.attempts + 1 }]);
  }

  /** What an event row says once settled: processed (with its invoice) or ignored (with the reason). */
  function outcomeData(result: SyncOutcome) {
    const data =
      result.outcome === 'settled'
        ? {
            status: 'processed',
            processedAt: new Date(),
            invoiceDocumentId: result.invoice.documentId,
            lastError: null,
          }
        : { status: 'ignored', processedAt: new Date(), ignoredReason: result.reason, lastError: null };
    return { ...data, lockedUntil: null, lockedBy: null };
  }

  /** Settles claimed events and records each outcome: processed, ignored, failed or dead-lettered. */
  async function execute(claimed: Array<{ row: EventRow; attempts: number }>): Promise<void> {
    try {
      const result = await dispatch(claimed.map((c) => c.row));
      // One UPDATE for the whole group, without update()'s read before and after (and its
      // transaction): nothing here needs the row back.
      await events().updateMany({ where: { id: { $in: claimed.map((c) => c.row.id) } }, data: outcomeData(result) });
    } catch (error) {
      const message = reasonOf(error).slice(0, 1000);
      for (const { row, attempts } of claimed) {
        const dead = attempts >= config().maxAttempts;
        await events().update({
          where: { id: row.id },
          data: {
            status: dead ? 'dead_lettered' : 'failed',
            lastError: message,
            lockedUntil: null,
            lockedBy: null,
            nextAttemptAt: dead ? null : new Date(Date.now() + backoffMs(attempts)),
          },
        });
        strapi.log.warn(
          `[invoice-payments] event ${row.providerEventId} (${row.type}) failed on attempt ${attempts}${dead ? ', dead-lettered' : ''}: ${message}`,
        );
        if (dead) {
          await getService(strapi, 'audit').log({
            action: 'webhook.dead_lettered',
            actor: { type: 'system' },
            outcome: 'dead_lettered',
            details: { eventId: row.providerEventId, type: row.type, attempts, lastError: message },
          });
        }
      }
    }
  }

  return {
    /**
     * Stores a verified event under its id, unique per provider (the database's unique index is on
     * provider + event id), with the provider that sent it. A duplicate (redelivery, or a
     * concurrent delivery to another instance) is reported as such and changes nothing. Any
     * verified body is storable on every database (utils/storable-event.ts); one that cannot be a
     * Stripe event is stored as `ignored` with the reason (`row` is then null: nothing to settle).
     */
    async receive(
      verified: ProviderEvent,
      parser: WebhookParser,
    ): Promise<{ duplicate: boolean; row: { id: number } | null; key: string | null; ignoredReason?: string }> {
      const { event, ignoredReason } = storableEvent(verified);
      try {
        const data = {
          providerEventId: event.id,
          provider: parser.id,
          type: event.type,
          livemode: event.livemode,
          apiVersion: event.apiVersion,
          providerCreated: event.created,
          objectId: event.objectId,
          payload: event.payload,
          attempts: 0,
          deliveries: 1,
          ...(ignoredReason
            ? { status: 'ignored' as const, ignoredReason, processedAt: new Date(), nextAttemptAt: null }
            : { status: 'received' as const, nextAttemptAt: new Date() }),
        };
        // One INSERT that commits on its own before the answer, so a delivery is acknowledged only
        // once stored: create()'s row without its relations transaction and read-back (insertNow).
        // Not createMany(): its own transaction reports success when its connection dropped before
        // the commit (Strapi treats a completed knex transaction as committed): an event
        // acknowledged and lost (tests/faults/db-connection-killed).
        const row = { id: await insertNow(strapi, UID.webhookEvent, data) };
        if (ignoredReason) {
          strapi.log.warn(`[invoice-payments] webhook event ${event.id} ignored: ${ignoredReason}`);
          return { duplicate: false, row: null, key: null, ignoredReason };
        }
        return { duplicate: false, row, key: coalesceKey(parser.id, parser.webhookAction(event)) };
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        // Best effort: count redeliveries for the admin screen. The event itself is unchanged.
        await strapi.db
          .connection('invoice_payments_webhook_events')
          .where({ provider: parser.id, provider_event_id: event.id })
          .increment('deliveries', 1)
          .catch(() => undefined);
        return { duplicate: true, row: null, key: null };
      }
    },

    process,

    /**
     * Processes a just-stored event in this process, at most `worker.concurrency` at a time.
     * Events wait here unclaimed, so a claim's lock only starts when its processing does: an
     * unbounded burst would otherwise claim thousands at once, and locks could expire (letting
     * another instance process the same event again) while they wait for a connection. Past
     * MAX_QUEUED the event is left to the retry worker, which finds it `received`.
     */
    enqueue(id: number, key: string | null = null): void {
      if (waiting >= MAX_QUEUED) return;
      const entry: Queued = { id, key, taken: false };
      queue.push(entry);
      if (key) {
        const same = byKey.get(key);
        if (same) same.push(entry);
        else byKey.set(key, [entry]);
      }
      waiting += 1;
      pump();
    },

    /**
     * Shutdown: settles nothing more from the in-process queue (the events stay `received`, and
     * the retry worker of this or another instance takes them) and waits for the ones under way.
     */
    async stop(): Promise<void> {
      queue.length = 0;
      byKey.clear();
      waiting = 0;
      if (wakeUp) clearTimeout(wakeUp);
      wakeUp = null;
      // At most 10 s: an event cut off here is reclaimed by the worker once its lock expires, an
      // email by the outbox worker.
      const until = Date.now() + 10_000;
      while ((active > 0 || followUps.size > 0) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    },

    /** What this process holds in memory right now (for the idle probe in background.ts). */
    inProcess(): { queued: number; active: number; arriving: number; followUps: number } {
      return { queued: waiting, active, arriving, followUps: followUps.size };
    },

    /** Marks a delivery as being answered; call the returned function once it has been. */
    arriving(): () => void {
      arriving += 1;
      lastArrivalAt = Date.now();
      let done = false;
      return () => {
        if (done) return;
        done = true;
        arriving -= 1;
        lastArrivalAt = Date.now();
      };
    },

    /**
     * Events whose time has come: new, failed and due for retry, or stuck with an expired lock.
     * Batch after batch until none is left (at most `maxBatches` per tick), so a restarted process
     * catches up at settlement speed rather than one batch per tick.
     */
    async runDue(limit = BATCH, maxBatches = 40): Promise<number> {
      let total = 0;
      const settings = getService(strapi, 'settings');
      for (let batch = 0; batch < maxBatches; batch += 1) {
        const { count, stop } = await settings.withSnapshot(() => runDueBatch(limit));
        total += count;
        if (stop) break;
      }
      return total;
    },

    async replay(documentId: string, actor: Actor) {
      const row = (await events().findOne({ where: { documentId } })) as EventRow | null;
      if (!row) throw notFound('No such webhook event.');
      if (!['dead_lettered', 'failed', 'ignored'].includes(row.status)) {
        throw conflict(
          `Only failed, dead-lettered or ignored events can be replayed; this one is ${row.status}.`,
          'NotReplayable',
        );
      }
      // Claim it for this request in the same UPDATE that resets it, so the retry worker (which
      // looks for `received` or `failed` rows) cannot take it in between.
      const { count } = await events().updateMany({
        where: { id: row.id, status: row.status, attempts: row.attempts },
        data: {
          status: 'processing',
          attempts: 1,
          lockedBy: instanceId,
          lockedUntil: new Date(Date.now() + config().lockMs),
          nextAttemptAt: null,
          lastError: null,
          ignoredReason: null,
        },
      });
      if (count !== 1)
        throw conflict('This event changed while you were looking at it. Reload and try again.', 'NotReplayable');
      await getService(strapi, 'audit').log({
        action: 'webhook.replayed',
        actor,
        details: { eventId: row.providerEventId, type: row.type, previousStatus: row.status },
      });
      await execute([{ row, attempts: 1 }]);
      return events().findOne({ where: { id: row.id } });
    },

    /** What an admin needs to see at once whether the payment provider reaches the site. */
    async health() {
      const since = new Date(Date.now() - 24 * 3600 * 1000);
      const [last, failures, deadLettered, rejected] = await Promise.all([
        events().findOne({ orderBy: { id: 'desc' }, select: ['createdAt', 'type'] }),
        events().count({ where: { status: { $in: ['failed', 'dead_lettered'] }, updatedAt: { $gte: since } } }),
        events().count({ where: { status: 'dead_lettered' } }),
        // Refusals are counted per provider and minute in one entry each (services/audit.ts `rejected`).
        strapi.db
          .query(UID.auditEntry)
          .findMany({ where: { action: 'webhook.rejected', createdAt: { $gte: since } }, select: ['details'] })
          .then((rows: Array<{ details?: { count?: unknown } | null }>) =>
            rows.reduce((n, r) => n + (typeof r.details?.count === 'number' ? r.details.count : 1), 0),
          ),
      ]);
      return {
        lastEventAt: last?.createdAt ?? null,
        lastEventType: last?.type ?? null,
        failuresLast24h: failures,
        deadLettered,
        rejectedLast24h: rejected,
      };
    },
  };
};
