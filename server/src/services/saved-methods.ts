import { randomUUID } from 'node:crypto';
import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { errors } from '@strapi/utils';
import { cardExpired, customerCreateKey } from '../domain';
import { installationId } from '../utils/installation';
import type { PaymentProvider, SavedMethod, SavedMethodsApi } from '../providers/types';
import { ProviderRequestError } from '../providers/types';
import { UID } from '../utils/plugin-id';
import { getService } from '../utils/get-service';
import { badGateway, badRequest, conflict, notFound } from '../utils/errors';
import { isUniqueViolation } from '../utils/unique-violation';
import type { Actor } from './settings';
import type { InvoiceRow } from './invoices';

/**
 * A client's saved payment methods (kept by the payment provider, on a provider customer made for
 * the client) and their autopay switch. The client is the invoice's `customer` (a users-permissions
 * user): a payment the logged-in client makes on their own page can save its method (never a pay
 * link's payment), and the logged-in client manages their methods (remove, make default). Every
 * method is checked to belong to the client's own provider customer before anything is done with it.
 */

export interface ClientAccountRow {
  id: number;
  userId: number;
  provider: string;
  providerCustomerId: string | null;
  autopayEnabled: boolean | null;
}

export interface SavedMethodView extends SavedMethod {
  isDefault: boolean;
  expired: boolean;
}

export interface SavedMethodsView {
  /** False when the payment provider of new payments cannot save methods (Mollie here). */
  supported: boolean;
  message: string | null;
  methods: SavedMethodView[];
}

export const saveRequestSchema = z
  .object({
    providerPaymentId: z.string('providerPaymentId is required.').min(1).max(255),
    save: z.boolean('Send save: true or false.'),
    token: z.string().optional(),
  })
  .strict();

export const autopaySwitchSchema = z.object({ enabled: z.boolean('Send true or false.') }).strict();

/** Why a provider cannot save methods or charge them automatically, for people. */
export const unsupportedMessage = (provider: PaymentProvider) =>
  `Saved payment methods and autopay are not available with ${provider.label}.`;

/**
 * The method autopay charges: the customer's default when it is one of their methods, else the most
 * recently saved one (a client who ticked "Save" once expects that card to be used).
 */
export function effectiveDefault(methods: SavedMethod[], defaultId: string | null): string | null {
  if (defaultId && methods.some((m) => m.id === defaultId)) return defaultId;
  return methods[0]?.id ?? null;
}

/** Statuses of a ledger entry whose payment has not been confirmed yet (saving may still change). */
const UNCONFIRMED = ['pending', 'failed'];

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const accounts = () => strapi.db.query(UID.clientAccount);

  async function findAccount(userId: number, provider: string): Promise<ClientAccountRow | null> {
    return (await accounts().findOne({ where: { userId, provider } })) as ClientAccountRow | null;
  }

  /** The client's row for a provider, made when missing (two at once: the unique index keeps one). */
  async function accountRow(userId: number, provider: string): Promise<ClientAccountRow> {
    const found = await findAccount(userId, provider);
    if (found) return found;
    try {
      return (await accounts().create({ data: { userId, provider, autopayEnabled: false } })) as ClientAccountRow;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      return (await findAccount(userId, provider))!;
    }
  }

  function api(provider: PaymentProvider): SavedMethodsApi {
    if (!provider.savedMethods) throw badRequest(unsupportedMessage(provider), [], 'SavedMethodsUnsupported');
    return provider.savedMethods;
  }

  async function userExists(userId: number): Promise<{ id: number; email?: string | null; username?: string | null }> {
    const user = (await strapi.db
      .query('plugin::users-permissions.user')
      .findOne({ where: { id: userId }, select: ['id', 'email', 'username'] })) as {
      id: number;
      email?: string | null;
      username?: string | null;
    } | null;
    if (!user) throw notFound('No such client.');
    return user;
  }

  /**
   * The client's provider customer, created on first use. The Idempotency-Key is this site's
   * installation id with the client's own id, so two first saves at once (or a retry after a lost
   * answer) make one customer, and another site on the same Stripe account never gets this one.
   */
  async function ensureCustomer(userId: number, provider: PaymentProvider): Promise<string> {
    const row = await accountRow(userId, provider.id);
    if (row.providerCustomerId) return row.providerCustomerId;
    const user = await userExists(userId);
    const { id } = await api(provider).createCustomer({
      clientRef: `user:${userId}`,
      email: user.email ?? null,
      name: user.username ?? null,
      idempotencyKey: customerCreateKey(await installationId(strapi), provider.id, String(userId)),
    });
    await accounts().updateMany({ where: { id: row.id, providerCustomerId: null }, data: { providerCustomerId: id } });
    return (await findAccount(userId, provider.id))!.providerCustomerId!;
  }

  function view(m: SavedMethod, defaultId: string | null, now: Date): SavedMethodView {
    return { ...m, isDefault: m.id === defaultId, expired: cardExpired(m.expMonth, m.expYear, now) };
  }

  async function listFor(userId: number): Promise<SavedMethodsView & { customerId: string | null; provider: string }> {
    const provider = await getService(strapi, 'providers').forNewPayments();
    if (!provider.savedMethods)
      return {
        supported: false,
        message: unsupportedMessage(provider),
        methods: [],
        customerId: null,
        provider: provider.id,
      };
    const row = await findAccount(userId, provider.id);
    if (!row?.providerCustomerId)
      return { supported: true, message: null, methods: [], customerId: null, provider: provider.id };
    const { methods, defaultId } = await provider.savedMethods.listMethods(row.providerCustomerId).catch(gateway);
    const now = new Date();
    return {
      supported: true,
      message: null,
      methods: methods.map((m) => view(m, effectiveDefault(methods, defaultId), now)),
      customerId: row.providerCustomerId,
      provider: provider.id,
    };
  }

  /** A method of this client's customer, or the same 404 as for one that does not exist. */
  async function ownMethod(userId: number, methodId: unknown) {
    if (typeof methodId !== 'string' || !/^[A-Za-z0-9_]{3,255}$/.test(methodId))
      throw notFound('No such saved payment method.');
    const provider = await getService(strapi, 'providers').forNewPayments();
    const saved = api(provider);
    const row = await findAccount(userId, provider.id);
    if (!row?.providerCustomerId) throw notFound('No such saved payment method.');
    let method: SavedMethod;
    try {
      method = await saved.retrieveMethod(methodId);
    } catch (error) {
      if (error instanceof ProviderRequestError && !error.retryable) throw notFound('No such saved payment method.');
      return gateway(error);
    }
    // Another client's method, or one detached already: never acted on.
    if (method.customerId !== row.providerCustomerId) throw notFound('No such saved payment method.');
    return { provider, saved, customerId: row.providerCustomerId, method };
  }

  async function audit(action: string, actor: Actor, details: Record<string, unknown>) {
    await getService(strapi, 'audit').log({ action, actor, details });
  }

  /** The admin's view of a client: autopay switch and saved methods. */
  async function forAdmin(userId: number) {
    const user = await userExists(userId);
    const provider = await getService(strapi, 'providers').forNewPayments();
    const row = await findAccount(userId, provider.id);
    const listed = await listFor(userId).catch(() => null);
    return {
      clientId: user.id,
      email: user.email ?? null,
      name: user.username ?? null,
      autopayEnabled: row?.autopayEnabled === true,
      supported: Boolean(provider.savedMethods),
      message: provider.savedMethods ? null : unsupportedMessage(provider),
      methods: listed?.methods ?? [],
    };
  }

  return {
    ensureCustomer,
    findAccount,

    /**
     * The drawer's "Save for future invoices" box: makes the invoice's unconfirmed payment save its
     * method to the invoice's client once it succeeds (or stop doing so when unticked).
     */
    async saveOnPayment(invoice: InvoiceRow, body: unknown, actor: Actor, byClient: boolean) {
      const { providerPaymentId, save } = saveRequestSchema.parse(body ?? {});
      const customer = (invoice as InvoiceRow & { customer?: { id: number } | null }).customer;
      if (!customer?.id)
        throw badRequest(
          'This invoice is not linked to a client account, so a payment method cannot be saved for later invoices.',
          [{ path: ['save'], message: 'No client account.' }],
          'NoClientAccount',
        );
      if (!byClient)
        throw new errors.ForbiddenError(
          'Log in to your account to save a payment method for later invoices; a pay link alone cannot.',
          {},
        );
      const row = (await strapi.db
        .query(UID.payment)
        .findOne({ where: { providerPaymentId, invoice: { id: invoice.id } } })) as {
        provider: string | null;
        status: string;
      } | null;
      if (!row) throw notFound('No such payment on this invoice.');
      if (!UNCONFIRMED.includes(row.status))
        throw conflict(
          'This payment is already under way; saving can only be chosen before you pay.',
          'PaymentStarted',
        );
      const provider = await getService(strapi, 'providers').forRow(row);
      const saved = api(provider);
      // Only a payment made on this client's own page may save (its metadata names the client: forClient).
      // A pay link's payment is the link holder's, and the link can be forwarded: its card must never
      // become the one autopay charges. One read, before anything is changed here or at the provider.
      const payment = await provider.retrievePayment(providerPaymentId).catch(gateway);
      // An invoice moved to another client: the first client's payment is not this one's to save.
      if (payment.metadata?.forClient !== String(customer.id))
        throw conflict(
          'Save a method when paying from your account page: this payment was not started there (a pay link, or ' +
            'another account), so its method cannot be saved to your account. Log in, open the invoice from your ' +
            'account page and pay it there.',
          'PaymentNotFromAccountPage',
        );
      const customerId = save ? await ensureCustomer(customer.id, provider).catch(gateway) : null;
      await saved.saveOnPayment(providerPaymentId, customerId).catch(gateway);
      await getService(strapi, 'audit').log({
        action: save ? 'payment_method.save_requested' : 'payment_method.save_withdrawn',
        actor,
        invoice: { documentId: invoice.documentId, number: invoice.number },
        details: { providerPaymentId, clientId: customer.id },
      });
      return { saving: save };
    },

    /** The logged-in client's saved methods. */
    async list(userId: number): Promise<SavedMethodsView> {
      const { supported, message, methods } = await listFor(userId);
      return { supported, message, methods };
    },

    async remove(userId: number, methodId: unknown, actor: Actor): Promise<SavedMethodsView> {
      const { saved, method } = await ownMethod(userId, methodId);
      await saved.detachMethod(method.id, `detach:${method.id}:${randomUUID()}`).catch(gateway);
      await audit('payment_method.removed', actor, { clientId: userId, method: method.id, last4: method.last4 });
      const { supported, message, methods } = await listFor(userId);
      return { supported, message, methods };
    },

    async setDefault(userId: number, methodId: unknown, actor: Actor): Promise<SavedMethodsView> {
      const { saved, customerId, method } = await ownMethod(userId, methodId);
      if (cardExpired(method.expMonth, method.expYear, new Date()))
        throw conflict('This card has expired. Pay an invoice with a new card and save it instead.', 'MethodExpired');
      // A fresh key per choice: A, then B, then A again must not replay the first answer.
      await saved.setDefaultMethod(customerId, method.id, `default:${customerId}:${randomUUID()}`).catch(gateway);
      await audit('payment_method.default_set', actor, { clientId: userId, method: method.id, last4: method.last4 });
      const { supported, message, methods } = await listFor(userId);
      return { supported, message, methods };
    },

    forAdmin,

    async setAutopay(userId: number, body: unknown, actor: Actor) {
      const { enabled } = autopaySwitchSchema.parse(body ?? {});
      await userExists(userId);
      const provider = await getService(strapi, 'providers').forNewPayments();
      if (enabled && !provider.savedMethods)
        throw badRequest(unsupportedMessage(provider), [{ path: ['enabled'], message: 'Unsupported.' }]);
      const row = await accountRow(userId, provider.id);
      if ((row.autopayEnabled === true) !== enabled) {
        await accounts().update({ where: { id: row.id }, data: { autopayEnabled: enabled } });
        await audit(enabled ? 'client.autopay_on' : 'client.autopay_off', actor, { clientId: userId });
      }
      return forAdmin(userId);
    },
  };
};

function gateway(error: unknown): never {
  if (error instanceof ProviderRequestError)
    throw badGateway(
      error.retryable
        ? 'The payment provider is not answering right now. Nothing was changed; please try again in a moment.'
        : error.message,
      { code: error.code },
    );
  throw error;
}
