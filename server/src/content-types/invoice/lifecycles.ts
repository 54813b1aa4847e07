import { PLUGIN_ID } from '../../utils/plugin-id';

export interface LifecycleEvent {
  params: { data: Record<string, unknown>; where?: Record<string, unknown> };
}

/** Totals, balance and status are recomputed on every write (see services/invoices). */
export default {
  async beforeCreate(event: LifecycleEvent) {
    await strapi.plugin(PLUGIN_ID).service('invoices').beforeCreate(event.params.data);
  },
  async beforeUpdate(event: LifecycleEvent) {
    await strapi.plugin(PLUGIN_ID).service('invoices').beforeUpdate(event.params.where ?? {}, event.params.data);
  },
};
