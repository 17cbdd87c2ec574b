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
 * (scrape-worker.ts), which also renders the host's series; what comes back is the model without
 * its rows (selfModel) and the rendered bytes: extend the worker's reply for data a dashboard
 * needs, rather than reading /proc on the main thread.
 */
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { MetricsRenderer, type ScrapeContext } from '../render/prometheus.js';
import { startHttpServer, type RunningServer } from './http-server.js';
import { formatListen, type ListenAddress } from './listen.js';
import { landingPage } from './landing.js';
import { mergeRoutes, sendText, type Route } from './routes.js';
import { ScrapeSource, type Outcome } from './scrape-source.js';
import { acceptsGzip, deflateTail, gzipBody } from './gzip-body.js';
import { DEFAULT_NETNS_BUDGET_MS, type ScraperOptions } from './scrape.js';
import { WorkerScraper, type ServedScrape } from './worker-scraper.js';
import { heapReading, limitCHeap, type HeapReading } from './memory.js';
import type { AllowedHost } from './host-allowlist.js';
import type { ConnectionLimits } from './connection-limits.js';

export interface ServeOptions extends ScraperOptions {
  listen: ListenAddress;
  /** A scrape answers within this many ms, with or without host data (default DEFAULT_TIMEOUT_MS). */
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
  source: ScrapeSource<ServedScrape>;
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

/**
 * What an answer may take after its wait, out of --timeout: the exporter's own lines and the
 * write of bytes the worker rendered (milliseconds; a 7 MB answer of 2,000 namespaces reached its
 * client 0.4 s after the wait ended at load 20-30), with room for a loaded host's scheduling. The
 * wait gets the rest, so the whole answer fits in --timeout.
 */
export function answerReserveMs(timeoutMs: number): number {
  return Math.min(500, timeoutMs / 5);
}

/**
 * The namespace budget when --netns-budget is not given: DEFAULT_NETNS_BUDGET_MS, or a quarter of
 * --timeout when that is shorter (the host's read, rules and rendering need the rest).
 */
export function defaultNetnsBudgetMs(timeoutMs: number): number {
  return Math.min(DEFAULT_NETNS_BUDGET_MS, Math.floor(timeoutMs / 4));
}

/** The host part of an answer without host data. */
const NO_HOST = deflateTail('');

/** Scrape context for one outcome: data when there is some, the reason when there is not. */
export function contextOf(outcome: Outcome<ServedScrape>, ver: string, workerHeap: HeapReading | null = null): ScrapeContext {
  const heaps = [{ thread: 'main', ...heapReading() }, ...(workerHeap ? [{ thread: 'scrape', ...workerHeap }] : [])];
  const base = { scrapeSeconds: outcome.waitedMs / 1000, version: ver, rssBytes: process.memoryUsage.rss(), heaps };
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

/**
 * The default routes: /metrics, /-/healthy, and the landing page at /. The host's series come
 * rendered and deflated from the worker (scrape-worker.ts): an answer is the exporter's own lines
 * followed by those bytes, so its cost on this thread does not grow with the host.
 */
export function defaultRoutes(source: ScrapeSource<ServedScrape>, renderer: MetricsRenderer, log: (line: string) => void, listRoutes: () => readonly Route[]): Route[] {
  const ver = version();
  let lastFailure = '';
  // The scrape worker's heap as of its last answer (a timed-out scrape still shows it).
  let workerHeap: HeapReading | null = null;
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
        const host = 'result' in outcome ? outcome.result.host : null;
        if ('result' in outcome) workerHeap = outcome.result.workerHeap;
        const self = await renderer.renderSelf(contextOf(outcome, ver, workerHeap));
        const headers = { 'Content-Type': renderer.contentType, 'Cache-Control': 'no-store', Vary: 'Accept-Encoding' };
        if (acceptsGzip(req.headers['accept-encoding'])) {
          res.writeHead(200, { ...headers, 'Content-Encoding': 'gzip' });
          res.end(gzipBody(self, host ?? NO_HOST));
        } else {
          // Two writes, one Content-Length: the host's bytes are not copied into a new body.
          res.writeHead(200, { ...headers, 'Content-Length': Buffer.byteLength(self) + (host?.bytes.length ?? 0) });
          if (host) res.write(self);
          res.end(host ? host.bytes : self);
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
  // Before the worker and its reader threads start: they take their arenas under these limits.
  limitCHeap();
  const netnsBudgetMs = opts.netnsBudgetMs ?? defaultNetnsBudgetMs(timeoutMs);
  const scraper = new WorkerScraper({ root: opts.root, selection: opts.selection, rules: opts.rules, netnsBudgetMs }, Math.max(30_000, 3 * timeoutMs));
  // The wait leaves room for the answer itself: the whole answer fits in --timeout.
  const source = new ScrapeSource(() => scraper.scrape(), { timeoutMs: timeoutMs - answerReserveMs(timeoutMs), maxAgeMs: 2 * timeoutMs });
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
