/**
 * The dashboard as route handlers for a node:http server (`sockdoc serve` mounts them at `/`):
 *   GET /            the page (self-contained: uPlot and the app inlined, no CDN)
 *   GET /api/state   the current DashboardState as JSON (503 until the first sample)
 *   GET /api/events  server-sent events: one `state` event per sample (text/event-stream)
 * Every response is read-only; no handler touches the host: they read the SampleSource.
 *
 * Bounded, whoever the clients are: the state is serialised once per sample, whatever the number of
 * pages; an event stream holds at most one unsent event in this process (a stream whose previous
 * event is still queued skips to the newest one when it drains), and a stream that has not taken
 * an event for STALL_MS is dropped — a reader that never reads costs one event, not one per sample.
 * With `sampling`, the host is sampled only while a page is open: a visit (GET /, /api/state)
 * starts it, an open event stream keeps it going, and it stops `idleMs` after the last of them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SampleSource } from '../watch/sampler.js';
import { buildPage, type Page } from './page.js';
import { dashboardState } from './state.js';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A stream that has not taken an event for this long is dropped (the browser reconnects by itself). */
export const STALL_MS = 30_000;
/** Sampling stops this long after the last page went (a reload or a dropped stream comes back sooner). */
export const IDLE_MS = 20_000;

/** What starts and stops the sampling the dashboard shows (serve's Sampler). */
export interface SamplingControl {
  start(): void;
  /** Stops it and forgets the last sample (a later visit shows fresh data, and rates over no gap). */
  stop(): void;
  /** A line for the operator (sampling started / stopped). */
  log?: (line: string) => void;
}

export interface DashboardOptions {
  /** The sampling interval, shown on the page. */
  everyMs: number;
  /** SSE clients at most (each holds a socket); more get 503 (default 32). */
  maxClients?: number;
  /** Links shown in the page's header (serve: /metrics, /-/healthy). */
  links?: Array<{ href: string; label: string }>;
  /** Sample on demand (serve); without it the caller keeps the source sampling. */
  sampling?: SamplingControl;
  /** Sampling stops this long after the last page (default IDLE_MS). */
  idleMs?: number;
  /** Clock in ms (tests). */
  now?: () => number;
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

/** One open event stream. */
interface Stream {
  res: ServerResponse;
  /** When the event it is still sending was written (null: nothing queued in this process). */
  queuedSince: number | null;
  /** A newer event came while one was queued: send the newest on drain. */
  behind: boolean;
}

/** Bytes of a response not yet handed to the kernel (node's buffers: the response's and its socket's). */
function queuedBytes(res: ServerResponse): number {
  return res.writableLength + (res.socket?.writableLength ?? 0);
}

export function dashboardRoutes(source: SampleSource, options: DashboardOptions): DashboardRoutes {
  let page: Page | null = null;
  const streams = new Set<Stream>();
  const maxClients = options.maxClients ?? 32;
  const now = options.now ?? (() => performance.now());
  const idleMs = options.idleMs ?? IDLE_MS;
  // The state of the latest sample, serialised once (every page and stream shares it).
  let cached: { sample: unknown; json: string; event: Buffer } | null = null;
  const current = (): { json: string; event: Buffer } | null => {
    const latest = source.latest();
    if (!latest) return null;
    if (cached?.sample !== latest) {
      const json = JSON.stringify(dashboardState(latest, source.history, options.everyMs));
      cached = { sample: latest, json, event: Buffer.from(`event: state\ndata: ${json}\n\n`) };
    }
    return cached;
  };
  const stateJson = (): string | null => current()?.json ?? null;

  // Sampling on demand: running while a stream is open or a visit is recent.
  let sampling = false;
  let lastVisit = -Infinity;
  let idleTimer: NodeJS.Timeout | null = null;
  const checkIdle = (): void => {
    idleTimer = null;
    if (!sampling || streams.size > 0) return;
    const left = lastVisit + idleMs - now();
    if (left > 0) {
      idleTimer = setTimeout(checkIdle, left);
      idleTimer.unref();
      return;
    }
    sampling = false;
    cached = null;
    options.sampling?.stop();
    options.sampling?.log?.(`dashboard: sampling stopped (no page open for ${Math.round(idleMs / 1000)} s)`);
  };
  const visited = (): void => {
    if (!options.sampling) return;
    lastVisit = now();
    if (!sampling) {
      sampling = true;
      options.sampling.log?.('dashboard: sampling started (a page is open)');
      options.sampling.start();
    }
    if (!idleTimer) {
      idleTimer = setTimeout(checkIdle, idleMs);
      idleTimer.unref();
    }
  };

  const pageHandler: Handler = (req, res) => {
    visited();
    page ??= buildPage(options.links ?? []);
    if (req.method === 'HEAD') return void send(res, 200, 'text/html; charset=utf-8', '', { 'Content-Security-Policy': page.csp });
    send(res, 200, 'text/html; charset=utf-8', page.html, { 'Content-Security-Policy': page.csp });
  };

  const stateHandler: Handler = (_req, res) => {
    visited();
    const json = stateJson();
    if (json === null) return void send(res, 503, 'application/json', JSON.stringify({ error: 'no sample yet' }), { 'Retry-After': '2' });
    send(res, 200, 'application/json; charset=utf-8', json);
  };

  let unsubscribe: (() => void) | null = null;
  /** Writes the newest event to `s`, or notes it is behind; drops it when it has been stuck too long. */
  const push = (s: Stream): void => {
    const ev = current();
    if (!ev) return;
    if (queuedBytes(s.res) > 0 && s.queuedSince !== null) {
      s.behind = true;
      if (now() - s.queuedSince > STALL_MS) s.res.destroy(); // 'close' removes it
      return;
    }
    s.behind = false;
    s.res.write(ev.event);
    s.queuedSince = queuedBytes(s.res) > 0 ? now() : null;
  };
  const broadcast = (): void => {
    for (const s of streams) push(s);
  };

  const eventsHandler: Handler = (req, res) => {
    if (streams.size >= maxClients) return void send(res, 503, 'text/plain', 'too many dashboard clients\n', { 'Retry-After': '10' });
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', ...SECURITY_HEADERS });
    // The browser reconnects after this long if the stream drops (EventSource, HTML Living Standard §9.2).
    res.write(`retry: ${Math.max(1000, options.everyMs)}\n\n`);
    const stream: Stream = { res, queuedSince: null, behind: false };
    streams.add(stream);
    visited();
    unsubscribe ??= source.subscribe(broadcast);
    push(stream);
    res.on('drain', () => {
      stream.queuedSince = null;
      if (stream.behind) push(stream);
    });
    const gone = () => {
      if (!streams.delete(stream)) return;
      lastVisit = now();
      if (streams.size === 0) {
        unsubscribe?.();
        unsubscribe = null;
        if (sampling && !idleTimer) {
          idleTimer = setTimeout(checkIdle, idleMs);
          idleTimer.unref();
        }
      }
    };
    req.on('close', gone);
    res.on('close', gone);
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
      for (const s of streams) s.res.end();
      streams.clear();
      unsubscribe?.();
      unsubscribe = null;
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = null;
      if (sampling) options.sampling?.stop();
      sampling = false;
    },
  };
}
