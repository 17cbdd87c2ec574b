/**
 * The dashboard as route handlers for a node:http server (`sockdoc serve` mounts them at `/`):
 *   GET /            the page (self-contained: uPlot and the app inlined, no CDN)
 *   GET /api/state   the current DashboardState as JSON (503 until the first sample)
 *   GET /api/events  server-sent events: one `state` event per sample (text/event-stream)
 * Every response is read-only; no handler touches the host: they read the SampleSource.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SampleSource } from '../watch/sampler.js';
import { buildPage, type Page } from './page.js';
import { dashboardState } from './state.js';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface DashboardOptions {
  /** The sampling interval, shown on the page. */
  everyMs: number;
  /** SSE clients at most (each holds a socket); more get 503 (default 32). */
  maxClients?: number;
  /** Links shown in the page's header (serve: /metrics, /-/healthy). */
  links?: Array<{ href: string; label: string }>;
}

export interface DashboardRoutes {
  /** Path -> handler, for a router: '/', '/api/state', '/api/events'. */
  routes: Record<string, Handler>;
  /** Handles `req` when its path is one of ours and returns true; false otherwise (for a server's fall-through). */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** The same handlers as `{ method, path, description, handle }` entries, the shape `sockdoc serve` mounts. */
  list: Array<{ method: 'GET'; path: string; description: string; handle: Handler }>;
  /** Ends every open event stream (for a graceful shutdown). */
  close(): void;
}

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', ...SECURITY_HEADERS, ...extra });
  res.end(body);
}

export function dashboardRoutes(source: SampleSource, options: DashboardOptions): DashboardRoutes {
  let page: Page | null = null;
  const clients = new Set<ServerResponse>();
  const maxClients = options.maxClients ?? 32;
  const stateJson = (): string | null => {
    const latest = source.latest();
    return latest ? JSON.stringify(dashboardState(latest, source.history, options.everyMs)) : null;
  };

  const pageHandler: Handler = (req, res) => {
    page ??= buildPage(options.links ?? []);
    if (req.method === 'HEAD') return void send(res, 200, 'text/html; charset=utf-8', '', { 'Content-Security-Policy': page.csp });
    send(res, 200, 'text/html; charset=utf-8', page.html, { 'Content-Security-Policy': page.csp });
  };

  const stateHandler: Handler = (_req, res) => {
    const json = stateJson();
    if (json === null) return void send(res, 503, 'application/json', JSON.stringify({ error: 'no sample yet' }), { 'Retry-After': '2' });
    send(res, 200, 'application/json; charset=utf-8', json);
  };

  let unsubscribe: (() => void) | null = null;
  const broadcast = () => {
    const json = stateJson();
    if (json === null) return;
    for (const res of clients) res.write(`event: state\ndata: ${json}\n\n`);
  };

  const eventsHandler: Handler = (req, res) => {
    if (clients.size >= maxClients) return void send(res, 503, 'text/plain', 'too many dashboard clients\n', { 'Retry-After': '10' });
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', ...SECURITY_HEADERS });
    // The browser reconnects after this long if the stream drops (EventSource, HTML Living Standard §9.2).
    res.write(`retry: ${Math.max(1000, options.everyMs)}\n\n`);
    clients.add(res);
    unsubscribe ??= source.subscribe(broadcast);
    const json = stateJson();
    if (json !== null) res.write(`event: state\ndata: ${json}\n\n`);
    const gone = () => {
      clients.delete(res);
      if (clients.size === 0 && unsubscribe) {
        unsubscribe();
        unsubscribe = null;
      }
    };
    req.on('close', gone);
    res.on('error', gone);
  };

  const routes: Record<string, Handler> = { '/': pageHandler, '/api/state': stateHandler, '/api/events': eventsHandler };
  const descriptions: Record<string, string> = {
    '/': 'the dashboard: findings, charts of the last hour, listeners and processes',
    '/api/state': "the dashboard's state as JSON (docs/watch.md)",
    '/api/events': 'the same state as server-sent events, one per sample',
  };
  return {
    routes,
    list: Object.entries(routes).map(([path, handle]) => ({ method: 'GET' as const, path, description: descriptions[path], handle })),
    handle(req, res) {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const handler = routes[path];
      if (!handler) return false;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        send(res, 405, 'text/plain', 'method not allowed\n', { Allow: 'GET, HEAD' });
        return true;
      }
      handler(req, res);
      return true;
    },
    close() {
      for (const res of clients) res.end();
      clients.clear();
      unsubscribe?.();
      unsubscribe = null;
    },
  };
}
