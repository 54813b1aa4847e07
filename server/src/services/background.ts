import type { Core } from '@strapi/strapi';
import { UID, PLUGIN_ID } from '../utils/plugin-id';
import { getService } from '../utils/get-service';
import type { PluginConfig } from '../config';
import { feeReportingProviders } from '../providers/registry';
import { reasonOf } from '../utils/errors';

/**
 * Background work on every instance: the retry worker (failed or stranded webhook events) and the
 * reconciliation sweep (payments still pending after a while, in case a webhook never came).
 * Both are safe to run on several instances at once: events are claimed through the database and
 * settlement is idempotent under the invoice lock. They run as jobs of Strapi's own cron
 * (strapi.cron), which Strapi starts after bootstrap and stops on destroy; stop() removes them
 * earlier and waits for a tick still running.
 */
/**
 * A cron rule (Strapi's cron: croner, with a seconds field) firing about every `ms`. Cron has no
 * "every N ms": below a minute it steps seconds (at least 1 s, cron's finest unit), below an
 * hour minutes, else hours. A step that does not divide 60 (or 24) restarts at the next unit,
 * so a run comes at most `ms` after the previous one, never later.
 */
export function intervalRule(ms: number): string {
  // Rounded down: a run is never later than asked.
  const seconds = Math.max(1, Math.floor(ms / 1000));
  if (seconds < 60) return `*/${seconds} * * * * *`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `0 */${minutes} * * * *`;
  const hours = Math.min(23, Math.floor(minutes / 60));
  return `0 0 */${hours} * * *`;
}

export default ({ strapi }: { strapi: Core.Strapi }) => {
  /** Cron job names (unique in the app's strapi.cron), removed again on stop. */
  const jobs: string[] = [];
  let stopping = false;
  const running = new Set<Promise<unknown>>();

  /** A named job in Strapi's cron; a tick still running when the next fires is skipped, not doubled. */
  function every(name: string, ms: number, task: () => Promise<unknown>) {
    let busy = false;
    const jobName = `${PLUGIN_ID}.${name}`;
    strapi.cron.add({
      [jobName]: {
        // Returns at once: the tick is tracked in `running` (idle() and stop() wait on it).
        task: async () => {
          if (busy || stopping) return;
          busy = true;
          const run = task()
            .catch((error) => strapi.log.warn(`[invoice-payments] background task ${name} failed: ${reasonOf(error)}`))
            .finally(() => {
              busy = false;
              running.delete(run);
            });
          running.add(run);
        },
        options: { rule: intervalRule(ms) },
      },
    });
    jobs.push(jobName);
  }

  async function sweep(olderThanMs?: number): Promise<number> {
    const settings = await getService(strapi, 'settings').load();
    // Nothing to ask while no payment provider is set up (any of them: a site may use Mollie only).
    const providers = getService(strapi, 'providers');
    if (!providers.ids().some((id) => providers.entry(id)?.canRead(settings))) return 0;
    const cutoff = new Date(Date.now() - (olderThanMs ?? settings.reconcileAfterMinutes * 60_000));
    const stale = (await strapi.db.query(UID.payment).findMany({
      where: {
        kind: { $in: ['card', 'checkout'] },
        status: { $in: ['pending', 'requires_action', 'processing'] },
        updatedAt: { $lte: cutoff },
        voidedAt: null,
      },
      orderBy: { updatedAt: 'asc' },
      limit: 100,
    })) as Array<{
      id: number;
      provider: string | null;
      providerPaymentId: string | null;
      checkoutSessionId: string | null;
      sharedPaymentId?: string | null;
      paymentGroup?: string | null;
    }>;
    const settlement = getService(strapi, 'settlement');
    const actor = { type: 'system' as const, label: 'reconciliation' };
    for (const row of stale) {
      try {
        const ctx = { provider: await getService(strapi, 'providers').forRow(row), actor };
        // A share of a multi-invoice payment is settled through the shared payment (all its invoices).
        const paymentId = row.providerPaymentId ?? row.sharedPaymentId ?? null;
        if (paymentId) await settlement.syncPayment(paymentId, ctx);
        else if (row.checkoutSessionId) await settlement.syncCheckoutSession(row.checkoutSessionId, ctx);
        // A share reserved by a request that never recorded the provider's answer on it.
        else if (row.paymentGroup)
          await getService(strapi, 'payment-groups').recoverReservation(row.paymentGroup, actor);
        // Touch the row so the next sweep moves on to others (the sync may have changed nothing).
        await strapi.db.query(UID.payment).update({ where: { id: row.id }, data: { updatedAt: new Date() } });
      } catch (error) {
        strapi.log.warn(`[invoice-payments] reconciliation of payment ${row.id} failed: ${reasonOf(error)}`);
      }
    }
    // Portal payments the client opened and walked away from: their invoices are reserved until
    // the group is ended (services/payment-groups endAbandoned; the rule is domain/group-abandonment).
    let abandoned = 0;
    try {
      abandoned = await getService(strapi, 'payment-groups').endAbandoned(settings, actor);
    } catch (error) {
      strapi.log.warn(`[invoice-payments] ending abandoned multi-invoice payments failed: ${reasonOf(error)}`);
    }
    // Stripe's fee comes from the charge's balance transaction, which Stripe may make a little
    // after the payment succeeded: collected payments of the last week still without it are read
    // again (outside any lock; settlement writes it). charge.updated usually fills it first.
    const feeless = (await strapi.db.query(UID.payment).findMany({
      where: {
        kind: { $in: ['card', 'checkout'] },
        status: { $in: ['succeeded', 'partially_refunded', 'refunded', 'disputed'] },
        providerFee: null,
        providerPaymentId: { $notNull: true },
        // Only providers whose fee a re-read can still bring (providers/registry.ts `feeArrivesLater`):
        // any other payment would be read again on every tick for a week for nothing.
        provider: { $in: feeReportingProviders() },
        paidAt: { $lte: new Date(Date.now() - 60_000), $gte: new Date(Date.now() - 7 * 86_400_000) },
      },
      orderBy: { paidAt: 'asc' },
      limit: 25,
    })) as Array<{ id: number; provider: string | null; providerPaymentId: string }>;
    for (const row of feeless) {
      try {
        await settlement.syncPayment(row.providerPaymentId, {
          provider: await getService(strapi, 'providers').forRow(row),
          actor,
        });
      } catch (error) {
        strapi.log.warn(
          `[invoice-payments] reading the provider's fee for payment ${row.id} failed: ${reasonOf(error)}`,
        );
      }
    }
    // Refunds whose outcome Stripe left unknown (a 500, a timeout) or whose call never finished
    // (a crash): looked up at Stripe, booked or made under the next key (services/refunds).
    let refunds = 0;
    try {
      refunds = await getService(strapi, 'refunds').reconcile();
    } catch (error) {
      strapi.log.warn(`[invoice-payments] reconciliation of refunds failed: ${reasonOf(error)}`);
    }
    return stale.length + abandoned + refunds;
  }

  /**
   * Whether this process has nothing left to do right now: no webhook delivery being answered,
   * no event queued or settling in memory, no background tick running, no webhook event in the
   * database that a worker could claim or is processing (new, failed awaiting retry, processing),
   * and no outbox notice due. Tests assert "nothing happened" once this is true, never after a
   * fixed sleep. Lists what is still busy, for the caller's timeout message.
   */
  async function idle(): Promise<{ idle: boolean; busy: string[] }> {
    const busy: string[] = [];
    const mem = getService(strapi, 'webhook-events').inProcess();
    if (mem.arriving > 0) busy.push(`${mem.arriving} webhook deliveries being answered`);
    if (mem.queued > 0) busy.push(`${mem.queued} events queued in memory`);
    if (mem.active > 0) busy.push(`${mem.active} events settling`);
    if (mem.followUps > 0) busy.push(`${mem.followUps} batches sending their emails`);
    if (running.size > 0) busy.push(`${running.size} background ticks running`);
    const sending = getService(strapi, 'notifications').sending();
    if (sending > 0) busy.push(`${sending} emails being handed to the email provider`);
    const now = new Date();
    const [events, notices] = await Promise.all([
      strapi.db.query(UID.webhookEvent).count({ where: { status: { $in: ['received', 'processing', 'failed'] } } }),
      strapi.db.query(UID.notice).count({ where: { status: 'due', dueAt: { $lte: now } } }),
    ]);
    if (events > 0) busy.push(`${events} webhook events received, processing or awaiting retry`);
    if (notices > 0) busy.push(`${notices} outbox notices due`);
    const out = getService(strapi, 'events-out');
    if (out.inProcess()) busy.push('events out being delivered');
    const undelivered = await out.undelivered();
    if (undelivered > 0) busy.push(`${undelivered} events out not delivered yet`);
    return { idle: busy.length === 0, busy };
  }

  return {
    sweep,
    idle,
    start() {
      const c = strapi.config.get<PluginConfig>(`plugin::${PLUGIN_ID}`);
      if (c.worker.enabled) {
        every('worker', c.worker.intervalMs, () => getService(strapi, 'webhook-events').runDue());
        // Payment emails a crash or an SMTP failure left in the outbox.
        every('outbox', c.worker.intervalMs, () => getService(strapi, 'notifications').sendDue());
        // Events out a crash left undelivered, and hooks due for a retry (services/events-out.ts).
        every('events-out', c.worker.intervalMs, () => getService(strapi, 'events-out').runDue());
        // Invoices past their expiresAt, unpaid: voided, invoice.expired emitted (services/payables.ts).
        every('expiry', c.worker.intervalMs, () => getService(strapi, 'payables').expireDue());
      }
      if (c.reconciliation.enabled) every('sweep', c.reconciliation.intervalMs, () => sweep());
      // Payment reminders due now (services/reminders); claimed through the database, once per invoice.
      if (c.reminders?.enabled !== false)
        every('reminders', c.reminders?.intervalMs ?? 60_000, () => getService(strapi, 'reminders').runDue());
      // Autopay charges due now (services/autopay), on the same schedule: claimed once per attempt.
      if (c.reminders?.enabled !== false)
        every('autopay', c.reminders?.intervalMs ?? 60_000, () => getService(strapi, 'autopay').runDue());
    },
    async stop() {
      stopping = true;
      for (const name of jobs.splice(0)) strapi.cron.remove(name);
      await Promise.allSettled([...running]);
    },
  };
};
