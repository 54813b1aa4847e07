/**
 * A minimal router: `/v1/payment_intents/:id/confirm` style patterns, first match wins, and
 * handlers that return JSON, HTML, a script or a redirect.
 */
import type { ApiKey } from './auth';
import type { Engine } from './engine';
import type { ParamReader } from './form';
import type { Json, RequestContext } from './types';

export type RouteResult =
  | { kind: 'json'; status?: number; body: Json }
  | { kind: 'html'; status?: number; html: string }
  | { kind: 'script'; js: string }
  | { kind: 'redirect'; location: string };

export interface RouteInput {
  engine: Engine;
  params: ParamReader;
  path: Record<string, string>;
  ctx: RequestContext;
  /** Present on /v1 routes (authenticated). */
  apiKey: ApiKey | null;
}

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  pattern: string;
  handler: (input: RouteInput) => RouteResult | Promise<RouteResult>;
  /**
   * Called by the Stripe.js stand-in from a page on another origin (the offline demo's pay page):
   * answers carry `Access-Control-Allow-Origin: *` so that page may read them, as /v1 answers do.
   */
  cors?: boolean;
}

interface CompiledRoute extends Route {
  regex: RegExp;
  names: string[];
}

export interface RouteMatch {
  route: Route;
  path: Record<string, string>;
}

export class Router {
  private readonly routes: CompiledRoute[];

  constructor(routes: readonly Route[]) {
    this.routes = routes.map((route) => {
      const names: string[] = [];
      const source = route.pattern
        .split('/')
        .map((segment) => {
          if (!segment.startsWith(':')) return segment.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
          names.push(segment.slice(1));
          return '([^/]+)';
        })
        .join('/');
      return { ...route, regex: new RegExp(`^${source}$`), names };
    });
  }

  match(method: string, path: string): RouteMatch | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const found = route.regex.exec(path);
      if (!found) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, index) => {
        params[name] = decodeURIComponent(found[index + 1]);
      });
      return { route, path: params };
    }
    return undefined;
  }
}

export const json = (body: Json, status = 200): RouteResult => ({ kind: 'json', status, body });
