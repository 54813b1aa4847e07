import register from './register';
import bootstrap from './bootstrap';
import destroy from './destroy';
import config from './config';
import contentTypes from './content-types';
import controllers from './controllers';
import services from './services';
import routes from './routes';
import policies from './policies';
import middlewares from './middlewares';
import type hooksService from './services/hooks';
import type payablesService from './services/payables';

export default {
  register,
  bootstrap,
  destroy,
  config,
  contentTypes,
  controllers,
  services,
  routes,
  policies,
  middlewares,
};

/**
 * Types for site code and other plugins (docs/api.md): the payload of events out, the hooks, and
 * the server API (`strapi.plugin('invoice-payments').service('payables' | 'hooks')`).
 */
export type { EventPayload, MoneyOut, OutEvent } from './services/events-out';
export { OUT_EVENTS, EVENT_PREFIX } from './services/events-out';
export type { EventHook, RegisteredHook } from './services/hooks';
export type { CreatePayableInput, EntityRef, PayableInvoice, PayableLine } from './services/payables';
/** The services' own types, for `strapi.plugin('invoice-payments').service(...)` casts. */
export type InvoicePaymentsHooks = ReturnType<typeof hooksService>;
export type InvoicePaymentsPayables = ReturnType<typeof payablesService>;
