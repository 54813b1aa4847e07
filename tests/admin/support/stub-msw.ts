/**
 * Stand-in for `msw` / `msw/node` (devDependencies of @strapi/admin, not installed here). Strapi's
 * test entry builds a mock server of its own admin routes at import time; our tests never start
 * it and answer the plugin's API through `mockApi` (tests/admin/support/api.ts) instead.
 */
const handler = () => ({});
export const http = new Proxy({}, { get: () => handler });
export class HttpResponse {
  static json() {
    return {};
  }
  static text() {
    return {};
  }
}
export const setupServer = () => ({ listen() {}, close() {}, resetHandlers() {}, use() {} });
