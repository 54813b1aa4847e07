/**
 * Answers the plugin's admin API inside jsdom: `useFetchClient` calls `fetch`, and each test lists
 * the routes it needs. Unlisted routes answer 404 so a missing mock is loud, not silent.
 */
export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  params: Record<string, string>;
  body: unknown;
}

export interface ApiReply {
  status?: number;
  body: unknown;
}

type Route = (req: ApiRequest) => ApiReply | Promise<ApiReply>;

/** A Strapi-shaped error body, as the plugin's `respond()` sends it. */
export function apiError(
  status: number,
  message: string,
  errors: Array<{ path: string[]; message: string }> = [],
  name = 'ValidationError',
): ApiReply {
  return { status, body: { data: null, error: { status, name, message, details: errors.length ? { errors } : {} } } };
}

export const ok = (body: unknown): ApiReply => ({ status: 200, body });

export function mockApi(routes: Record<string, Route>) {
  const calls: ApiRequest[] = [];
  const table = Object.entries(routes).map(([key, route]) => {
    const [method, pattern] = key.split(' ') as [string, string];
    const names: string[] = [];
    const regex = new RegExp(
      `^${pattern.replace(/:([A-Za-z]+)/g, (_m, name: string) => (names.push(name), '([^/]+)'))}$`,
    );
    return { method, regex, names, route };
  });
  const fetchMock = jest.fn(async (input: string, init?: { method?: string; body?: string }) => {
    const url = new URL(input, 'http://localhost:1337');
    const method = (init?.method ?? 'GET').toUpperCase();
    const body = typeof init?.body === 'string' && init.body ? (JSON.parse(init.body) as unknown) : undefined;
    for (const entry of table) {
      const m = entry.method === method ? entry.regex.exec(url.pathname) : null;
      if (!m) continue;
      const params = Object.fromEntries(entry.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
      const req: ApiRequest = { method, path: url.pathname, query: url.searchParams, params, body };
      calls.push(req);
      const reply = await entry.route(req);
      return response(reply.status ?? 200, reply.body);
    }
    calls.push({ method, path: url.pathname, query: url.searchParams, params: {}, body });
    return response(404, {
      data: null,
      error: { status: 404, name: 'NotFoundError', message: `No mock for ${method} ${url.pathname}` },
    });
  });
  (globalThis as { fetch?: unknown }).fetch = fetchMock;
  return {
    calls,
    fetchMock,
    callsTo: (method: string, path: string) => calls.filter((c) => c.method === method && c.path === path),
  };
}

function response(status: number, body: unknown) {
  return {
    ok: status >= 200 && status < 300,
    status,
    headers: new Map<string, string>([['content-type', 'application/json']]),
    json: async () => body,
    text: async () => JSON.stringify(body),
    // Downloads (responseType 'blob'): a string body is the file's text.
    blob: async () => new Blob([typeof body === 'string' ? body : JSON.stringify(body)]),
  };
}
