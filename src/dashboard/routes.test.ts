import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { leakySource } from '../testing/sample-builder.js';
import type { SampleSource } from '../watch/sampler.js';
import { dashboardRoutes } from './routes.js';
import { DASHBOARD_SCHEMA_VERSION, MAX_POINTS, type DashboardState } from './state.js';

/** The routes on a node:http server on 127.0.0.1; anything else is 404. */
async function serve(source: SampleSource, maxClients?: number): Promise<{ base: string; server: Server; close(): Promise<void> }> {
  const d = dashboardRoutes(source, { everyMs: 2000, maxClients });
  const server = createServer((req, res) => {
    if (!d.handle(req, res)) {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    server,
    close: async () => {
      d.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const empty: SampleSource = { history: leakySource(0).history, latest: () => null, subscribe: () => () => undefined };

test('the page is self-contained: no external URL, and the CSP allows exactly its inline scripts', async () => {
  const s = await serve(empty);
  try {
    const res = await fetch(`${s.base}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/html/);
    const html = await res.text();
    const csp = res.headers.get('content-security-policy')!;
    assert.match(csp, /default-src 'none'/);
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
    assert.equal(scripts.length, 2, 'uPlot and the page script');
    for (const js of scripts) {
      const hash = createHash('sha256').update(js, 'utf8').digest('base64');
      assert.ok(csp.includes(`'sha256-${hash}'`), 'each inline script is allowed by its hash');
    }
    assert.ok(scripts[0].includes('uPlot'), 'uPlot inlined from the npm package');
    assert.doesNotMatch(html, /\b(src|href)="(https?:)?\/\//, 'nothing loaded from elsewhere');
    assert.doesNotMatch(html, /innerHTML/, 'host strings are set as text, never parsed as HTML');
  } finally {
    await s.close();
  }
});

test('before the first sample: /api/state is 503 with Retry-After', async () => {
  const s = await serve(empty);
  try {
    const res = await fetch(`${s.base}/api/state`);
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '2');
  } finally {
    await s.close();
  }
});

test('/api/state: versioned JSON with findings, tables and bounded chart series', async () => {
  const s = await serve(leakySource(30));
  const long = await serve(leakySource(1200));
  try {
    const state = (await (await fetch(`${s.base}/api/state`)).json()) as DashboardState;
    assert.equal(state.schemaVersion, DASHBOARD_SCHEMA_VERSION);
    assert.equal(state.hostname, 'web-1');
    const forecast = state.findings.find((f) => f.id === 'fd-exhaustion-forecast');
    assert.ok(forecast && forecast.pid === 4242 && forecast.fix.some((l) => l.includes('ls -l /proc/4242/fd')));
    assert.equal(state.processes[0].pid, 4242);
    // The page draws one card per group; every finding is in exactly one group.
    assert.deepEqual(state.groups.flatMap((g) => g.refs).sort(), state.findings.map((f) => f.ref).sort());
    assert.ok(state.groups.some((g) => g.id === 'fd-exhaustion-forecast' && g.count === 1 && g.program === 'leaky'));
    assert.equal(state.listeners[0].label, '127.0.0.1:8080');
    assert.equal(state.charts.times.length, 30);
    assert.deepEqual(state.charts.processes[0], { label: '4242 leaky', limit: 1024, values: Array.from({ length: 30 }, (_, i) => 100 + 3 * i) });
    assert.ok(state.charts.rates.some((r) => r.label === 'ListenOverflows' && r.values.at(-1) === 5));
    // 1200 samples are cut to MAX_POINTS per series, keeping each bucket's largest value.
    const big = (await (await fetch(`${long.base}/api/state`)).json()) as DashboardState;
    assert.equal(big.charts.times.length, MAX_POINTS);
    const leaky = big.charts.processes.find((p) => p.label === '4242 leaky')!;
    assert.equal(leaky.values.length, MAX_POINTS);
    assert.equal(leaky.values.at(-1), 100 + 3 * 1199);
  } finally {
    await s.close();
    await long.close();
  }
});

test('/api/events: the current state at once, then one event per sample', async () => {
  const source = leakySource(20);
  const s = await serve(source);
  try {
    const events: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const req = request(`${s.base}/api/events`, (res) => {
        assert.equal(res.headers['content-type'], 'text/event-stream');
        let buf = '';
        res.on('data', (chunk: Buffer) => {
          buf += chunk.toString();
          const parts = buf.split('\n\n');
          buf = parts.pop()!;
          for (const p of parts) if (p.startsWith('event: state')) events.push(p);
          if (events.length === 1) source.publish({ ...source.latest()!, at: source.latest()!.at + 2000 });
          if (events.length === 2) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', (e) => (events.length >= 2 ? resolve() : reject(e)));
      req.end();
    });
    const states = events.map((e) => JSON.parse(e.split('\ndata: ')[1]) as DashboardState);
    assert.equal(states[1].at - states[0].at, 2000);
  } finally {
    await s.close();
  }
});

test('other paths fall through (404 from the host server); other methods are 405; too many streams are 503', async () => {
  const s = await serve(leakySource(3), 1);
  try {
    assert.equal((await fetch(`${s.base}/metrics`)).status, 404);
    const post = await fetch(`${s.base}/api/state`, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    const first = new AbortController();
    const a = await fetch(`${s.base}/api/events`, { signal: first.signal });
    assert.equal(a.status, 200);
    assert.equal((await fetch(`${s.base}/api/events`)).status, 503);
    first.abort();
  } finally {
    await s.close();
  }
});
