/**
 * jsdom lacks a few browser APIs the design system (Radix, floating-ui) and Strapi's admin use.
 * These are the same shims Strapi's own admin test setup installs.
 */
import '@testing-library/jest-dom';

Object.defineProperty(window, 'strapi', {
  writable: true,
  value: {
    backendURL: 'http://localhost:1337',
    isEE: false,
    future: { isEnabled: () => false },
    features: { SSO: 'sso', isEnabled: () => false },
    flags: { promoteEE: false, nps: false },
    projectType: 'Community',
    telemetryDisabled: true,
  },
});

window.matchMedia ??= ((query: string) => ({
  matches: false,
  media: query,
  onchange: null,
  addListener: () => undefined,
  removeListener: () => undefined,
  addEventListener: () => undefined,
  removeEventListener: () => undefined,
  dispatchEvent: () => false,
})) as unknown as typeof window.matchMedia;

class NoopObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
  takeRecords() {
    return [];
  }
}
(globalThis as Record<string, unknown>).ResizeObserver ??= NoopObserver;
(globalThis as Record<string, unknown>).IntersectionObserver ??= NoopObserver;

Element.prototype.scrollIntoView ??= function scrollIntoView() {};
Element.prototype.hasPointerCapture ??= () => false;
Element.prototype.releasePointerCapture ??= () => undefined;
Element.prototype.setPointerCapture ??= () => undefined;
window.scrollTo = () => undefined;

/**
 * React Router's data router builds a fetch `Request` on every navigation (for loaders, which the
 * admin does not use). jsdom has none, and Node's own rejects jsdom's AbortSignal: this shim holds
 * what the router reads (url, method, signal, headers).
 */
if (typeof (globalThis as { Request?: unknown }).Request === 'undefined') {
  class RequestShim {
    readonly url: string;
    readonly method: string;
    readonly signal: AbortSignal | null;
    readonly headers: Map<string, string>;
    readonly body: unknown;
    constructor(
      input: string | URL | { url: string },
      init: { method?: string; signal?: AbortSignal; headers?: Record<string, string>; body?: unknown } = {},
    ) {
      this.url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      this.method = (init.method ?? 'GET').toUpperCase();
      this.signal = init.signal ?? null;
      this.headers = new Map(Object.entries(init.headers ?? {}));
      this.body = init.body ?? null;
    }
  }
  (globalThis as Record<string, unknown>).Request = RequestShim;
}

Object.defineProperty(navigator, 'clipboard', {
  configurable: true,
  value: { writeText: jest.fn(async () => undefined) },
});

// React Router's v7 migration notices are noise for these tests (the admin pins router v6).
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].includes('React Router Future Flag Warning')) return;
  warn(...args);
};
