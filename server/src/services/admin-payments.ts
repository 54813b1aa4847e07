import type { Core } from '@strapi/strapi';
import { PLUGIN_ID } from '../utils/plugin-id';
import adminView from './admin/presentation';
import adminLedger from './admin/ledger';
import invoiceMail from './admin/invoice-mail';

export { parseInvoiceFilters, type InvoiceListQuery } from './admin/presentation';

/**
 * The admin's invoice service, one module per job: what the admin screens show (admin/presentation),
 * the ledger actions (admin/ledger: manual payments, refunds, resync) and the invoice email with its
 * pay link (admin/invoice-mail). The controllers reach all of them through this one service.
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const view = adminView({ strapi });
  const { invoiceOr404: _internal, ...presentation } = view;
  return {
    ...presentation,
    ...adminLedger({ strapi }, view),
    ...invoiceMail({ strapi }, view),
    pluginId: PLUGIN_ID,
  };
};
