import { saveSettings } from '../support/processes';
import {
  allProcessed,
  deliver,
  inPool,
  KEYS,
  notPaidOnce,
  paidInvoicesWithEvents,
  SQL,
  useCluster,
  waitFor,
  type DeliveryResult,
} from './support/cluster';

/**
 * The webhook signing secret is rotated in the admin while a burst of webhooks is in flight.
 * From the moment the new secret is saved, events signed only with the old one are refused (400,
 * not stored): a leaked secret stops working at once. Nothing is lost either: Stripe redelivers
 * refused events, and during a "roll secret" it signs each delivery with both secrets, so the
 * redeliveries pass (README, "Rotating the webhook signing secret").
 */
const NEW_SECRET = 'whsec' + '_faultsRotatedSecret00000000000000';

const cluster = useCluster({ instances: 2 });

it('old-secret deliveries are refused right after the change, and succeed when redelivered signed with both', async () => {
  const N = 300;
  const { events } = await paidInvoicesWithEvents(cluster(), N, 'ROT');
  const [a, b] = cluster().instances;
  let answered = 0;
  let rotatedAt = 0;
  const rotation = (async () => {
    await waitFor(
      async () => answered,
      (n) => n >= 100,
      60_000,
      '100 answers',
    );
    // Saved through instance A's admin API; instance B reads the settings from the same database.
    await saveSettings(a!.url, cluster().auth, { webhookSecret: NEW_SECRET });
    rotatedAt = Date.now();
  })();
  const results: Array<DeliveryResult & { sentAt: number }> = await inPool(events, 8, async (e, i) => {
    const sentAt = Date.now();
    const r = await deliver(i % 2 ? a!.url : b!.url, e, KEYS.webhookSecret);
    answered += 1;
    return { ...r, sentAt };
  });
  await rotation;

  const stored = await SQL.storedEventIds(cluster().db);
  // Only two answers exist: accepted (and stored) or refused as unsigned (and not stored).
  expect(results.filter((r) => r.status !== 200 && r.status !== 400)).toEqual([]);
  expect(results.filter((r) => r.status === 200 && !stored.has(r.eventId))).toEqual([]);
  expect(results.filter((r) => r.status === 400 && stored.has(r.eventId))).toEqual([]);
  // Every delivery that started after the new secret was saved was refused, on both instances.
  const late = results.filter((r) => r.sentAt > rotatedAt);
  expect(late.length).toBeGreaterThan(50);
  expect(late.filter((r) => r.status !== 400)).toEqual([]);
  expect(late.every((r) => JSON.parse(r.body).error.message === 'The signature does not match the payload.')).toBe(
    true,
  );
  // And deliveries made well before it were accepted.
  expect(results.slice(0, 50).filter((r) => r.status !== 200)).toEqual([]);

  // A delivery signed with the old secret alone stays refused on both instances.
  const refused = events.filter((e) => !stored.has(e.id));
  expect((await deliver(a!.url, refused[0]!, KEYS.webhookSecret)).status).toBe(400);
  expect((await deliver(b!.url, refused[0]!, KEYS.webhookSecret)).status).toBe(400);

  // Stripe's retries during a roll carry a v1 signature for each secret: accepted.
  const retried = await inPool(refused, 8, (e, i) =>
    deliver(i % 2 ? a!.url : b!.url, e, [KEYS.webhookSecret, NEW_SECRET]),
  );
  expect(retried.filter((r) => r.status !== 200)).toEqual([]);
  // After the roll ends, new-secret-only signatures pass as well.
  const again = await inPool(events.slice(0, 20), 4, (e) => deliver(b!.url, e, NEW_SECRET));
  expect(again.every((r) => r.status === 200 && JSON.parse(r.body).duplicate === true)).toBe(true);

  await allProcessed(cluster(), 60_000, 'all processed');
  expect(await SQL.eventStatus(cluster().db)).toEqual([{ status: 'processed', n: N }]);
  expect(await notPaidOnce(cluster().db, 'ROT')).toEqual([]);
  // The rotation is in the audit trail, by fingerprint, never in the clear.
  const audit = await cluster().db.query<{ details: Record<string, unknown> }>(
    `SELECT details FROM invoice_payments_audit_entries WHERE action = 'settings.webhook_secret.rotated'`,
  );
  expect(audit).toHaveLength(1);
  expect(JSON.stringify(audit)).not.toContain(NEW_SECRET);
  expect(JSON.stringify(audit)).not.toContain(KEYS.webhookSecret);
  process.stdout.write(
    `[faults] secret rotated after ${results.filter((r) => r.sentAt <= rotatedAt).length} deliveries: ${late.length} later old-secret deliveries refused, all ${refused.length} refused events accepted when redelivered with both signatures\n`,
  );
});
