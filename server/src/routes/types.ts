import type { Core } from '@strapi/strapi';
import type controllers from '../controllers';

type Controllers = typeof controllers;
/** A controller's actions, whether it is exported as a factory ({ strapi }) => ({ ... }) or as an object. */
type ActionsOf<C> = C extends (...args: never[]) => infer R ? R : C;

/** "controller.action" for every action of every controller of the plugin: a typo fails the typecheck. */
export type Handler = {
  [C in keyof Controllers & string]: `${C}.${keyof ActionsOf<Controllers[C]> & string}`;
}[keyof Controllers & string];

/**
 * Routes are written `satisfies PluginRouter`. Strapi's route input (@strapi/types Core.RouteInput)
 * with its handler checked against the controllers.
 */
export type PluginRoute = Omit<Core.RouteInput, 'handler'> & { handler: Handler };
export type PluginRouter = Omit<Core.RouterInput, 'routes'> & { routes: PluginRoute[] };
