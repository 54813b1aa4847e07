import { eventually, type PaymentsEnv } from './payments';

interface WebhookQueue {
  arriving(): () => void;
  inProcess(): { queued: number; active: number };
}
interface Settings {
  withSnapshot<T>(work: () => Promise<T>): Promise<T>;
}

export interface QueueHold {
  /** Lets the held batch go, and deliveries are no longer counted as arriving. */
  release(): void;
}

/**
 * Holds the in-process queue (services/webhook-events.ts pump). While deliveries arrive,
 * settlement runs one batch at a time: `postOpener` posts an event whose batch takes that slot
 * and is held before it starts (at its settings snapshot), and a delivery stays "arriving" until
 * release(), so every event posted meanwhile waits in the queue, unclaimed and `received`. Only a
 * batch of the queue (active) is held, never a retry worker's tick.
 */
export async function holdQueue(env: PaymentsEnv, postOpener: () => Promise<void>): Promise<QueueHold> {
  const plugin = env.app.strapi.plugin('invoice-payments');
  const queue = plugin.service('webhook-events') as WebhookQueue;
  const settings = plugin.service('settings') as Settings;
  const original = settings.withSnapshot;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  let gated = false;
  settings.withSnapshot = <T>(work: () => Promise<T>): Promise<T> => {
    if (!gated && queue.inProcess().active > 0) {
      gated = true;
      return gate.then(() => original.call(settings, work) as Promise<T>);
    }
    return original.call(settings, work) as Promise<T>;
  };
  const arrived = queue.arriving();
  const release = () => {
    settings.withSnapshot = original;
    open();
    arrived();
  };
  try {
    await postOpener();
    await eventually(
      async () => gated,
      (held) => held,
      10_000,
    );
  } catch (error) {
    release();
    throw error;
  }
  return { release };
}

/**
 * The batches settlement.holdForBatch is called for (their invoice keys, in call order), to prove
 * that events went through the batch path. Batches are one transaction on SQLite and PostgreSQL
 * only (webhook-events groupCommit): on MySQL/MariaDB none is made.
 */
export function recordBatches(env: PaymentsEnv): { keys: string[][] } {
  const settlement = env.app.strapi.plugin('invoice-payments').service('settlement') as {
    holdForBatch(invoices: readonly string[], payments: readonly string[]): Promise<unknown>;
  };
  const record = { keys: [] as string[][] };
  const original = settlement.holdForBatch.bind(settlement);
  settlement.holdForBatch = (invoices, payments) => {
    record.keys.push([...invoices]);
    return original(invoices, payments);
  };
  return record;
}
