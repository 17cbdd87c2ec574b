/**
 * `sockdoc serve`: a Prometheus exporter over HTTP.
 *
 *   GET /metrics    the Prometheus text format (docs/metrics.md), one shared scrape at a time
 *   GET /-/healthy  200 "OK" while the server runs (no host read: a liveness probe)
 *   GET /           a small landing page linking the above
 *
 * Mounting another module (issue 13's web dashboard): routes are data. Pass your own in
 * `ServeOptions.routes`; a route with the same method and path as a default replaces it, so a
 * dashboard takes `/` with `{ method: 'GET', path: '/', handle }` and adds its assets beside it
 * (`/dashboard.js`, `/api/...`). A module that needs the host's data subscribes to the shared
 * scrapes with `server.source.onResult(fn)` or asks for one with `server.source.get()`, instead of
 * reading the host again: one snapshot in flight for everyone. Scrapes run in a worker thread
 * (scrape-worker.ts) and only the MetricsModel comes back: extend the model (or the worker's reply)
 * for data a dashboard needs, rather than reading /proc on the main thread.
 */
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { MetricsRenderer, type ScrapeContext } from '../render/prometheus.js';
import { startHttpServer, type RunningServer } from './http-server.js';
import { formatListen, type ListenAddress } from './listen.js';
import { landingPage } from './landing.js';
import { mergeRoutes, sendText, type Route } from './routes.js';
import { ScrapeSource, type Outcome } from './scrape-source.js';
import { acceptsGzip, deflateTail, gzipBody, type DeflatedTail } from './gzip-body.js';
import type { ScraperOptions } from './scrape.js';
import { WorkerScraper } from './worker-scraper.js';
import type { AllowedHost } from './host-allowlist.js';
import type { ConnectionLimits } from './connection-limits.js';

export interface ServeOptions extends ScraperOptions {
  listen: ListenAddress;
  /** A scrape answers within this many ms, with or without host data (default 10000). */
  timeoutMs?: number;
  /** Extra routes; they replace defaults with the same method and path. */
  routes?: readonly Route[];
  /** Errors worth a line on stderr (a route that threw, a failed scrape). */
  log?: (line: string) => void;
  /** Names served besides the listen address and localhost (`--allow-host`; host-allowlist.ts). */
  allowHosts?: readonly AllowedHost[];
  /** Connection bounds (connection-limits.ts; tests lower them). */
  connections?: ConnectionLimits;
}

export interface Serving {
  address: ListenAddress;
  source: ScrapeSource;
  routes: readonly Route[];
  close(): Promise<void>;
}

/**
 * 8 s: below Prometheus' default scrape_timeout (10 s) with 2 s of headroom for writing the answer
 * (~50 ms at 500 listeners, gzip included), the network and a loaded host's scheduling. A scrape
 * that sends X-Prometheus-Scrape-Timeout-Seconds gets that less 0.5 s when it is shorter.
 */
export const DEFAULT_TIMEOUT_MS = 8_000;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Scrape context for one outcome: data when there is some, the reason when there is not. */
export function contextOf(outcome: Outcome, ver: string): ScrapeContext {
  const base = { scrapeSeconds: outcome.waitedMs / 1000, version: ver, rssBytes: process.memoryUsage.rss() };
  if (outcome.kind === 'timeout' || outcome.kind === 'failed') {
    return { ...base, model: null, snapshotSeconds: null, ageSeconds: null, timedOut: outcome.kind === 'timeout' };
  }
  const age = outcome.kind === 'fresh' ? 0 : (performance.now() - outcome.result.readyAt) / 1000;
  return { ...base, model: outcome.result.model, snapshotSeconds: outcome.result.seconds, ageSeconds: age, timedOut: outcome.kind === 'stale' };
}

/**
 * How long a /metrics request may wait: --timeout, or less when Prometheus says its own
 * scrape_timeout is shorter (header X-Prometheus-Scrape-Timeout-Seconds), minus 0.5 s to render
 * and send. Prometheus' default scrape_timeout is 10 s, sockdoc's --timeout too: without this, a
 * slow read would make Prometheus give up first and every series would vanish (up = 0).
 */
export function requestTimeoutMs(header: string | string[] | undefined, timeoutMs: number): number {
  const seconds = Number(Array.isArray(header) ? header[0] : header);
  if (!header || !Number.isFinite(seconds) || seconds <= 0) return timeoutMs;
  return Math.min(timeoutMs, Math.max(100, seconds * 1000 - 500));
}

/** The default routes: /metrics, /-/healthy, and the landing page at /. */
export function defaultRoutes(source: ScrapeSource, renderer: MetricsRenderer, log: (line: string) => void, listRoutes: () => readonly Route[]): Route[] {
  const ver = version();
  let lastFailure = '';
  // The host part of /metrics deflated once per snapshot (keyed by its text: one string per snapshot).
  let deflated: { text: string; tail: DeflatedTail } | null = null;
  const tailOf = (text: string): DeflatedTail => {
    if (deflated?.text !== text) deflated = { text, tail: deflateTail(text) };
    return deflated.tail;
  };
  return [
    {
      method: 'GET',
      path: '/metrics',
      description: 'Prometheus metrics (docs/metrics.md)',
      async handle(req, res: ServerResponse) {
        const outcome = await source.get(requestTimeoutMs(req.headers['x-prometheus-scrape-timeout-seconds'], Number.POSITIVE_INFINITY));
        if (outcome.kind === 'failed' && outcome.error.name !== 'ClosingError' && outcome.error.message !== lastFailure) {
          // Once per distinct failure: a broken host should not flood the log at every scrape.
          lastFailure = outcome.error.message;
          log(`scrape failed: ${outcome.error.message}`);
        }
        const { self, host } = await renderer.renderParts(contextOf(outcome, ver));
        const headers = { 'Content-Type': renderer.contentType, 'Cache-Control': 'no-store', Vary: 'Accept-Encoding' };
        if (acceptsGzip(req.headers['accept-encoding'])) {
          res.writeHead(200, { ...headers, 'Content-Encoding': 'gzip' });
          res.end(gzipBody(self, tailOf(host ?? '')));
        } else {
          res.writeHead(200, headers);
          res.end(host === null ? self : self + host);
        }
      },
    },
    {
      method: 'GET',
      path: '/-/healthy',
      description: 'liveness: 200 while the exporter runs',
      handle(_req, res) {
        sendText(res, 200, 'OK');
      },
    },
    {
      method: 'GET',
      path: '/',
      description: 'this page',
      handle(_req, res) {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
        res.end(landingPage(ver, listRoutes()));
      },
    },
  ];
}

/**
 * Starts the exporter. Rejects with BindError (from http-server.ts) when the address cannot be
 * bound; nothing is left running then.
 */
export async function serve(opts: ServeOptions): Promise<Serving> {
  const log = opts.log ?? (() => undefined);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // Only plain data crosses into the worker.
  const scraper = new WorkerScraper({ root: opts.root, selection: opts.selection, rules: opts.rules }, Math.max(30_000, 3 * timeoutMs));
  const source = new ScrapeSource(() => scraper.scrape(), { timeoutMs });
  const renderer = new MetricsRenderer();
  let routes: Route[] = [];
  routes = mergeRoutes(defaultRoutes(source, renderer, log, () => routes), opts.routes ?? []);
  let server: RunningServer;
  try {
    server = await startHttpServer(opts.listen, routes, (err) => log(`request failed: ${(err as Error)?.message ?? String(err)}`), {
      log,
      allowHosts: opts.allowHosts,
      connections: opts.connections,
    });
  } catch (err) {
    await scraper.close();
    throw err;
  }
  return {
    address: server.address,
    source,
    routes,
    close: async () => {
      await Promise.all([server.close(), scraper.close()]);
    },
  };
}

export { formatListen };
