/**
 * Renders an admin page with Strapi's own test providers (router, redux store, theme, intl, auth
 * with the given permissions, notifications) from `@strapi/strapi/admin/test`.
 */
import type { ReactElement } from 'react';
import { render as strapiRender } from '@strapi/strapi/admin/test';

export const ACTION = (name: string) => `plugin::invoice-payments.${name}`;

/** Permission entities as Strapi's auth store holds them (subject null: plugin actions). */
export function permissions(...names: string[]) {
  return names.map((name, i) => ({
    id: 1000 + i,
    action: ACTION(name),
    subject: null,
    properties: {},
    conditions: [],
    actionParameters: {},
  }));
}

export const ALL = [
  'settings.read',
  'settings.update',
  'payments.read',
  'payments.manual',
  'payments.refund',
  'invoices.send',
  'webhooks.read',
  'webhooks.replay',
  'audit.read',
];

export function renderPage(ui: ReactElement, opts: { permissions?: string[]; path?: string } = {}) {
  const granted = permissions(...(opts.permissions ?? ALL));
  return strapiRender(ui, {
    initialEntries: [opts.path ?? '/'],
    // Typing without a pause per key keeps the suite fast.
    userEventOptions: { delay: null },
    // Only the plugin's permissions: the function form replaces Strapi's default fixture set.
    providerOptions: { permissions: () => granted },
  });
}
