import test from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { request } from 'node:http';
import { answerReserveMs, DEFAULT_TIMEOUT_MS, defaultRoutes, requestTimeoutMs } from './server.js';
import { ScrapeSource } from './scrape-source.js';
import { deflateTail } from './gzip-body.js';
import { startHttpServer } from './http-server.js';
import { parseListen } from './listen.js';
import { MetricsRenderer, selfModel } from '../render/prometheus.js';
import type { MetricsModel } from '../render/prometheus-model.js';
import type { ServedScrape } from './worker-scraper.js';

test("a /metrics request waits less than Prometheus' X-Prometheus-Scrape-Timeout-Seconds, never more than --timeout", () => {
  // The default answers below Prometheus' default scrape_timeout (10 s), with headroom.
  assert.ok(DEFAULT_TIMEOUT_MS <= 8_000);
  assert.equal(requestTimeoutMs('10', DEFAULT_TIMEOUT_MS), DEFAULT_TIMEOUT_MS);
  assert.equal(requestTimeoutMs('10', 10_000), 9_500); // Prometheus must not give up first
  assert.equal(requestTimeoutMs('12', 10_000), 10_000);
  assert.equal(requestTimeoutMs('0.2', 10_000), 100);
  assert.equal(requestTimeoutMs(undefined, 10_000), 10_000);
  assert.equal(requestTimeoutMs('junk', 10_000), 10_000);
  assert.equal(requestTimeoutMs(['5', '9'], 10_000), 4_500);
});

test('the wait for data leaves room for the answer: wait + reserve = --timeout', () => {
  assert.equal(DEFAULT_TIMEOUT_MS - answerReserveMs(DEFAULT_TIMEOUT_MS), 7_500);
  assert.equal(100 - answerReserveMs(100), 80, 'the shortest --timeout still waits most of it');
});

/** GET /metrics, raw bytes and headers (gzip asked or not). */
function get(port: number, gzip: boolean): Promise<{ headers: import('node:http').IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', agent: false, headers: gzip ? { 'Accept-Encoding': 'gzip' } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test("/metrics answers with the worker's rendered bytes after the exporter's own lines, plain and gzip; without data in time, partial", async () => {
  // Asserted rather than annotated: compiles whether or not MetricsModel has the namespace counts yet.
  const model = { listeners: [], processes: [], namespaces: [], host: { filesAllocated: 1, filesMax: 2, nrOpen: 3 }, findings: [], probes: [], processesSeen: 7, processesDropped: 0, findingsDropped: 0, partial: false, namespacesSeen: 1, namespacesEmpty: 0, namespacesCarried: 0, namespacesUnread: 0, namespacesMaxAgeSeconds: 0 } as MetricsModel;
  const hostText = '\nsockdoc_host_nr_open 3\nsockdoc_listener_accept_queue{netns="caf\u00e9"} 1\n';
  const served = (): ServedScrape => ({ model: selfModel(model), host: deflateTail(hostText), seconds: 0.01, readyAt: performance.now(), workerHeap: { usedBytes: 5e6, limitBytes: 2e8 } });
  let next: (() => ServedScrape) | null = served;
  const source = new ScrapeSource<ServedScrape>(() => (next ? Promise.resolve(next()) : new Promise(() => undefined)), { timeoutMs: 200, staleMs: 0 });
  const routes = defaultRoutes(source, new MetricsRenderer(), () => undefined, () => routes);
  const server = await startHttpServer(parseListen('127.0.0.1:0'), routes, (err) => assert.fail(String(err)), { uidLookup: null });
  try {
    const plain = await get(server.address.port, false);
    assert.equal(Number(plain.headers['content-length']), plain.body.length, 'one Content-Length for both parts');
    const text = plain.body.toString('utf8');
    assert.ok(text.endsWith(hostText), 'the host part as the worker rendered it');
    assert.match(text, /^sockdoc_scrape_timed_out 0$/m);
    assert.match(text, /^sockdoc_processes_seen 7$/m);
    assert.match(text, /^sockdoc_exporter_heap_used_bytes\{thread="scrape"\} 5000000$/m);
    assert.match(text, /^sockdoc_exporter_heap_used_bytes\{thread="main"\} \d+$/m);
    const zipped = await get(server.address.port, true);
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.ok(gunzipSync(zipped.body).toString('utf8').endsWith(hostText));
    // A read that does not finish: the answer comes anyway, marked, without host series.
    next = null;
    const late = (await get(server.address.port, false)).body.toString('utf8');
    assert.match(late, /^sockdoc_scrape_timed_out 1$/m);
    assert.match(late, /^sockdoc_scrape_partial 1$/m);
    assert.doesNotMatch(late, /sockdoc_listener_accept_queue/);
  } finally {
    await server.close();
  }
});
