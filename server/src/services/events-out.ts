import { randomUUID } from 'node:crypto';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Core } from '@strapi/strapi';
import { formatMinor } from '../domain';
import { PLUGIN_ID, UID } from '../utils/plugin-id';
import type { PluginConfig } from '../config';
import { getService } from '../utils/get-service';
import { instanceId } from './webhook-events';
import { claimRows, claimToken } from '../utils/claim';
import { reasonOf } from '../utils/errors';

/**
 * Events out (issue 15): every state change that matters is written to an outbox row in the
 * transaction that makes it (audit.ts, invoices.ts), then, after the commit, emitted once on
 * Strapi's event hub as `invoice-payments.<event>` (Settings → Webhooks forwards it) and handed to
 * the site's hooks (services/hooks.ts). A crash before the emit leaves the row pending: the worker
 * emits it later. Hooks that throw are retried from the row with a backoff, never blocking settlement.
 */
export const EVENT_PREFIX = 'invoice-payments';

export const OUT_EVENTS = [
  'invoice.sent',
  'invoice.viewed',
  'invoice.paid',
  'invoice.partially-paid',
  'invoice.payment-failed',
  'invoice.refunded',
  'invoice.disputed',
  'invoice.voided',
  'invoice.expired',
  'payment.succeeded',
  'payment.failed',
  'payment.refunded',
] as const;
export type OutEvent = (typeof OUT_EVENTS)[number];

export interface MoneyOut {
  /** Integer minor units (cents; yen; fils). */
  amount: number;
  /** For people, in en-US (`$1,827.50`). */
  formatted: string;
}

/** The payload of every event, stable across versions (fields are only ever added). */
export interface EventPayload {
  /** Unique per emitted change: a consumer that sees it twice (a crash mid-emit) drops the second. */
  id: string;
  /**
   * `invoice.paid`; on the event hub and in Strapi's webhook bodies the event is named
   * `invoice-payments.invoice.paid` (their `event` field).
   */
  type: OutEvent;
  occurredAt: string;
  invoice: {
    documentId: string;
    number: string;
    state: string;
    currency: string;
    total: MoneyOut;
    amountPaid: MoneyOut;
    amountRefunded: MoneyOut;
    balanceDue: MoneyOut;
    /** The entry the invoice is for (services/payables.ts), e.g. `api::booking.booking`; null when none. */
    entity: { uid: string; documentId: string } | null;
  };
  /** For payment.* and invoice.payment-failed: the payment that changed. */
  payment: {
    providerPaymentId: string | null;
    status: string;
    currency: string;
    amount: MoneyOut;
    failureCode: string | null;
    /** payment.refunded: the refund that succeeded (`amount` above is the refunded amount too). */
    refund?: { providerRefundId: string | null; amount: MoneyOut };
  } | null;
}

export interface InvoiceLike {
  documentId: string;
  number: string;
  state: string;
  currency: string;
  total: number;
  amountPaid: number;
  amountRefunded: number;
  balanceDue: number;
  entityUid?: string | null;
  entityDocumentId?: string | null;
}

interface OutRow {
  id: number;
  event: OutEvent;
  payload: EventPayload;
  status: 'pending' | 'processing' | 'delivered' | 'failed' | 'dead';
  attempts: number;
  emittedAt: string | null;
  deliveredTo: string[] | null;
}

const money = (amount: number, currency: string): MoneyOut => ({
  amount: Number(amount ?? 0),
  formatted: formatMinor(Number(amount ?? 0), currency),
});

/**
 * Rows recorded inside `together`, written in one INSERT at its end. `closed` once written: a
 * record() from work that outlived it (a promise it started) is written on its own, never dropped.
 */
interface Pending {
  rows: Array<Record<string, unknown>>;
  closed: boolean;
}
const pending = new AsyncLocalStorage<Pending>();

/** Hook failures: retried this many times with a doubling backoff, then the row is dead (logged). */
const MAX_ATTEMPTS = 8;
const BASE_BACKOFF_MS = 1000;

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const rows = () => strapi.db.query(UID.eventOut);
  let kickTimer: NodeJS.Timeout | null = null;
  let running: Promise<number> | null = null;
  let again = false;

  function invoicePart(inv: InvoiceLike): EventPayload['invoice'] {
    return {
      documentId: inv.documentId,
      number: inv.number,
      state: inv.state,
      currency: inv.currency,
      total: money(inv.total, inv.currency),
      amountPaid: money(inv.amountPaid, inv.currency),
      amountRefunded: money(inv.amountRefunded, inv.currency),
      balanceDue: money(inv.balanceDue, inv.currency),
      entity: inv.entityUid && inv.entityDocumentId ? { uid: inv.entityUid, documentId: inv.entityDocumentId } : null,
    };
  }

  /** Writes outbox rows in the caller's transaction (or one of their own) and kicks the dispatcher after the commit. */
  async function insert(data: Array<Record<string, unknown>>): Promise<void> {
    await strapi.db.transaction(async ({ onCommit }) => {
      await rows().createMany({ data });
      onCommit(kick);
    });
  }

  /** Runs the dispatcher soon (after the commit that made the rows; more kicks coalesce). */
  function kick(): void {
    if (kickTimer) return;
    kickTimer = setTimeout(() => {
      kickTimer = null;
      // The worker retries whatever this misses (a database going away at shutdown included).
      api
        .runDue()
        .catch((error) => strapi.log.warn(`[invoice-payments] events out will be retried: ${reasonOf(error)}`));
    }, 10);
    kickTimer.unref();
  }

  /**
   * A hook gets half the claim's lock time (worker.lockMs): one that never returns (a hung request
   * with no timeout) would otherwise hold the dispatcher, and every event after it, forever. Past
   * the limit it counts as a failure and is called again later; the late answer is ignored.
   */
  async function withinLimit(call: () => unknown): Promise<void> {
    const limitMs = Math.max(1, Math.floor(strapi.config.get<PluginConfig>(`plugin::${PLUGIN_ID}`).worker.lockMs / 2));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`did not return within ${limitMs} ms`)), limitMs);
      timer.unref();
    });
    const answer = Promise.resolve().then(call);
    // A hook that fails after its limit passed must not become an unhandled rejection.
    answer.catch(() => undefined);
    try {
      await Promise.race([answer, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Delivers a claimed batch, oldest first: each event on Strapi's event hub (its webhook runner
   * posts to every Settings → Webhooks entry for it), their emission recorded in one UPDATE before
   * any hook runs (a hook that fails never makes the hub see an event twice), then each event's
   * hooks, and the outcomes in one UPDATE per group of rows that end alike.
   */
  async function deliverMany(batch: OutRow[], claim: { token: string; lockMs: number }): Promise<void> {
    // Hooks may take up to half the lock time each: before each one, the batch's claim (its
    // outcomes are written at the end) is renewed once a quarter of it has passed, so no other
    // instance takes any of its rows meanwhile.
    let renewedAt = Date.now();
    const ids = batch.map((r) => r.id);
    const keepClaim = async () => {
      if (Date.now() - renewedAt < claim.lockMs / 4) return;
      renewedAt = Date.now();
      await rows().updateMany({
        where: { id: { $in: ids }, lockedBy: claim.token, status: 'processing' },
        data: { lockedUntil: new Date(renewedAt + claim.lockMs) },
      });
    };
    const failures = new Map<number, string[]>();
    const emitted: number[] = [];
    for (const row of batch) {
      if (row.emittedAt) continue;
      try {
        await strapi.eventHub.emit(`${EVENT_PREFIX}.${row.event}`, { ...row.payload });
        emitted.push(row.id);
      } catch (error) {
        failures.set(row.id, [`event hub: ${reasonOf(error)}`.slice(0, 500)]);
      }
    }
    if (emitted.length) await rows().updateMany({ where: { id: { $in: emitted } }, data: { emittedAt: new Date() } });

    const outcomes = new Map<string, { data: Record<string, unknown>; ids: number[] }>();
    for (const row of batch) {
      const done = new Set(row.deliveredTo ?? []);
      const errors = failures.get(row.id) ?? [];
      if (errors.length === 0)
        for (const hook of getService(strapi, 'hooks').listeners(row.event)) {
          if (done.has(hook.name)) continue;
          await keepClaim();
          try {
            await withinLimit(() => hook.callback(row.payload));
            done.add(hook.name);
          } catch (error) {
            errors.push(`${hook.name}: ${reasonOf(error)}`.slice(0, 500));
          }
        }
      const common = { deliveredTo: [...done], lockedUntil: null, lockedBy: null };
      if (errors.length === 0) {
        // Rows delivered to the same hooks end alike: one UPDATE for all of them.
        const key = JSON.stringify(common.deliveredTo);
        const group = outcomes.get(key) ?? {
          data: { ...common, status: 'delivered', deliveredAt: new Date(), lastError: null },
          ids: [],
        };
        group.ids.push(row.id);
        outcomes.set(key, group);
        continue;
      }
      const dead = row.attempts >= MAX_ATTEMPTS;
      outcomes.set(`failed:${row.id}`, {
        ids: [row.id],
        data: {
          ...common,
          status: dead ? 'dead' : 'failed',
          lastError: errors.join('\n').slice(0, 2000),
          nextAttemptAt: dead ? null : new Date(Date.now() + BASE_BACKOFF_MS * 2 ** (row.attempts - 1)),
        },
      });
      strapi.log.warn(
        `[invoice-payments] hook for ${EVENT_PREFIX}.${row.event} (${row.payload.id}) failed on attempt ${row.attempts}${dead ? ', given up' : ', will be retried'}: ${errors.join('; ')}`,
      );
    }
    for (const { data, ids } of outcomes.values()) await rows().updateMany({ where: { id: { $in: ids } }, data });
  }

  const api = {
    /**
     * Writes one event to the outbox, in the caller's transaction when there is one (the state
     * change and its event commit together or not at all); delivered after that commit.
     */
    async record(event: OutEvent, invoice: InvoiceLike, payment: EventPayload['payment'] = null): Promise<void> {
      const payload: EventPayload = {
        id: randomUUID(),
        type: event,
        occurredAt: new Date().toISOString(),
        invoice: invoicePart(invoice),
        payment,
      };
      const row = {
        event,
        payload,
        status: 'pending',
        attempts: 0,
        nextAttemptAt: new Date(),
        deliveredTo: [],
        invoiceDocumentId: invoice.documentId,
      };
      const batch = pending.getStore();
      if (batch && !batch.closed) batch.rows.push(row);
      else await insert([row]);
    },

    /**
     * Runs `work` inside the caller's transaction with the events it records written together, in
     * one INSERT when it ends (in the order recorded), instead of one each. Nested calls join the
     * outer one. Nothing is written when `work` throws: its transaction rolls back anyway.
     */
    async together<T>(work: () => Promise<T>): Promise<T> {
      if (!strapi.db.inTransaction()) throw new Error('events-out together() runs inside a transaction only.');
      const outer = pending.getStore();
      if (outer && !outer.closed) return work();
      const batch: Pending = { rows: [], closed: false };
      try {
        const result = await pending.run(batch, work);
        batch.closed = true;
        if (batch.rows.length) await insert(batch.rows);
        return result;
      } finally {
        batch.closed = true;
      }
    },

    /** The payment part of payment.refunded: the payment, and the refund that succeeded. */
    paymentPart(refund: {
      providerRefundId: string | null;
      providerPaymentId: string | null;
      amount: number;
      currency: string;
      payment?: { status?: string } | { id: number } | null;
    }): NonNullable<EventPayload['payment']> {
      const currency = refund.currency.toUpperCase();
      return {
        providerPaymentId: refund.providerPaymentId,
        status: (refund.payment && 'status' in refund.payment ? refund.payment.status : null) ?? 'refunded',
        currency,
        amount: money(refund.amount, currency),
        failureCode: null,
        refund: { providerRefundId: refund.providerRefundId, amount: money(refund.amount, currency) },
      };
    },

    /** The invoice's current row, for events recorded where only its documentId is at hand. */
    async invoiceFor(documentId: string): Promise<InvoiceLike | null> {
      return (await strapi.db.query(UID.invoice).findOne({ where: { documentId } })) as InvoiceLike | null;
    },

    /** Delivers every due row (pending, failed and due, or stuck past its lock), oldest first. */
    runDue(): Promise<number> {
      // A run already going may have read the rows before this call's rows were committed: it runs
      // once more when it ends, or those rows would wait for the worker (forever with it off).
      if (running) {
        again = true;
        return running;
      }
      running = (async () => {
        let total = 0;
        for (let batch = 0; batch < 20; batch += 1) {
          const now = new Date();
          const due = (await rows().findMany({
            where: {
              $or: [
                { status: 'pending' },
                { status: 'failed', nextAttemptAt: { $lte: now } },
                { status: 'processing', lockedUntil: { $lt: now } },
              ],
            },
            orderBy: { id: 'asc' },
            limit: 50,
          })) as OutRow[];
          // One claim for the batch (utils/claim.ts): one instance (and one tick) delivers each row.
          // The webhook worker's lock time: a claim held by a process that died is taken over after it.
          const claim = {
            token: claimToken(instanceId),
            lockMs: strapi.config.get<PluginConfig>(`plugin::${PLUGIN_ID}`).worker.lockMs,
          };
          const claimed = await claimRows(rows(), due, {
            claimable: {
              $or: [{ status: { $in: ['pending', 'failed'] } }, { status: 'processing', lockedUntil: { $lt: now } }],
            },
            owner: instanceId,
            ...claim,
          });
          const batch = due.filter((row) => claimed.has(row.id)).map((row) => ({ ...row, attempts: row.attempts + 1 }));
          await deliverMany(batch, claim).catch((error) =>
            strapi.log.warn(`[invoice-payments] events out not delivered yet: ${reasonOf(error)}`),
          );
          total += batch.length;
          if (due.length < 50) break;
        }
        return total;
      })().finally(() => {
        running = null;
        if (again) {
          again = false;
          kick();
        }
      });
      return running;
    },

    /** Rows a worker could still deliver (for the idle probe). */
    async undelivered(): Promise<number> {
      const now = new Date();
      return rows().count({
        where: {
          $or: [{ status: { $in: ['pending', 'processing'] } }, { status: 'failed', nextAttemptAt: { $lte: now } }],
        },
      });
    },

    inProcess(): boolean {
      return running !== null || kickTimer !== null;
    },

    /** Lists the plugin's events in Settings → Webhooks (Strapi's webhook store accepts them). */
    registerWebhookEvents(): void {
      const store = strapi.get('webhookStore') as { addAllowedEvent(key: string, value: string): void };
      for (const event of OUT_EVENTS) {
        store.addAllowedEvent(
          `INVOICE_PAYMENTS_${event.replace(/[.-]/g, '_').toUpperCase()}`,
          `${EVENT_PREFIX}.${event}`,
        );
      }
    },
  };
  return api;
};
