import type { Core } from '@strapi/strapi';
import { OUT_EVENTS, type EventPayload, type OutEvent } from './events-out';

/** A site's callback for the plugin's events: awaited; a throw is logged and retried later. */
export type EventHook = (payload: EventPayload) => unknown;

export interface RegisteredHook {
  /** Stable across restarts: a retry after a failure calls only the hooks that did not take the event yet. */
  name: string;
  events: OutEvent[] | '*';
  callback: EventHook;
}

/**
 * Lifecycle hooks for site code and other plugins (issue 15):
 *
 *   strapi.plugin('invoice-payments').service('hooks').register('confirm-booking', ['invoice.paid'], cb)
 *
 * Call it in your app's `register` or `bootstrap`. Each event reaches each hook once it is
 * committed (services/events-out.ts), at least once: a hook that throws is called again with the
 * same payload (same `id`) with a backoff, up to 8 times; settlement never waits for hooks.
 */
export default (_: { strapi: Core.Strapi }) => {
  const hooks = new Map<string, RegisteredHook>();
  return {
    register(name: string, events: OutEvent[] | '*', callback: EventHook): () => void {
      if (typeof name !== 'string' || name.trim() === '')
        throw new TypeError('A hook needs a name (a non-empty string).');
      if (typeof callback !== 'function') throw new TypeError(`Hook "${name}": the callback is not a function.`);
      if (events !== '*') {
        const unknown = events.filter((e) => !(OUT_EVENTS as readonly string[]).includes(e));
        if (unknown.length)
          throw new TypeError(`Hook "${name}": unknown event ${unknown.join(', ')}; known: ${OUT_EVENTS.join(', ')}.`);
      }
      if (hooks.has(name)) throw new TypeError(`A hook named "${name}" is already registered; unregister it first.`);
      hooks.set(name, { name, events, callback });
      return () => {
        if (hooks.get(name)?.callback === callback) hooks.delete(name);
      };
    },
    unregister(name: string): boolean {
      return hooks.delete(name);
    },
    listeners(event: OutEvent): RegisteredHook[] {
      return [...hooks.values()].filter((h) => h.events === '*' || h.events.includes(event));
    },
  };
};
