import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { leakySource } from '../testing/sample-builder.js';
import type { SampleSource } from '../watch/sampler.js';
import { dashboardRoutes, STALL_MS } from './routes.js';
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

test('/api/state: a process with a forecast heads the table, also among more full processes than it has rows', async () => {
  const s = await serve(leakySource(30, 'leaky', 20));
  try {
    const state = (await (await fetch(`${s.base}/api/state`)).json()) as DashboardState;
    assert.equal(state.processes.length, 15);
    assert.equal(state.processes[0].pid, 4242);
    assert.deepEqual(state.processes.slice(1).map((p) => p.pid), Array.from({ length: 14 }, (_, k) => 9000 + k), 'then the fullest');
  } finally {
    await s.close();
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

/** A raw GET of /api/events that reads nothing until `resume()`; `events()` parses what came. */
function unreadStream(base: string): Promise<{ resume(): void; text(): string; closed: Promise<void>; destroy(): void }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    let text = '';
    const s = connect({ host: hostname, port: Number(port) }, () => {
      s.write(`GET /api/events HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
      s.pause(); // a reader that never reads: what is sent piles up in the kernel's buffers, then in the server's
      resolve({
        resume: () => {
          s.on('data', (d: Buffer) => (text += d.toString('latin1')));
          s.resume();
        },
        text: () => text,
        closed,
        destroy: () => s.destroy(),
      });
    });
    const closed = new Promise<void>((r) => s.on('close', () => r()));
    s.on('error', () => undefined);
    s.once('error', reject);
  });
}

/** Sample `i` of leakySource, with a hostname of `size` bytes: each state event is about that big. */
function bigSample(source: ReturnType<typeof leakySource>, i: number, size: number) {
  const latest = source.latest()!;
  const snapshot = { ...latest.snapshot, host: { ...latest.snapshot.host, hostname: `h${i}-${'x'.repeat(size)}` } };
  return { ...latest, snapshot, at: latest.at + i * 2000 };
}

test('an event stream that never reads holds at most one unsent event here; when it reads again it gets the newest; stuck past STALL_MS it is dropped', async () => {
  let clock = 0;
  const source = leakySource(3);
  const d = dashboardRoutes(source, { everyMs: 2000, now: () => clock });
  const server = createServer((req, res) => void d.handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const stream = await unreadStream(base);
    await new Promise((r) => setTimeout(r, 200));
    // 30 samples of ~2 MB: 60 MB would be queued for this reader if every event were written.
    const size = 2 * 1024 * 1024;
    for (let i = 1; i <= 30; i++) {
      source.publish(bigSample(source, i, size));
      clock = Math.min(clock + 1000, STALL_MS - 1000); // never stuck long enough to be dropped here
      await new Promise((r) => setImmediate(r));
    }
    stream.resume();
    const deadline = Date.now() + 10_000;
    while (!stream.text().includes('h30-') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const got = [...stream.text().matchAll(/"hostname":"h(\d+)-/g)].map((m) => Number(m[1]));
    assert.ok(got.includes(30), `the newest state arrives once the reader reads: got ${got.join(',')}`);
    assert.ok(got.length < 15, `not every event was queued for it: ${got.length} of 31 arrived (${got.join(',')})`);
    // Stuck for longer than STALL_MS: dropped at the next sample.
    const stuck = await unreadStream(base);
    await new Promise((r) => setTimeout(r, 200));
    // The kernel's buffers take the first few events; once they are full, nothing drains for STALL_MS.
    for (let i = 31; i <= 50; i++) {
      source.publish(bigSample(source, i, size));
      clock += 10_000;
      await new Promise((r) => setTimeout(r, 20));
    }
    // Dropped: once it reads what was already sent, its stream ends (still open, it would not).
    stuck.resume();
    const dropped = await Promise.race([stuck.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
    assert.ok(!stuck.text().includes('h50-'), 'the events after the drop were not sent');
    assert.ok(dropped, 'a reader stuck past STALL_MS is dropped');
    stream.destroy();
  } finally {
    d.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('sampling on demand: a visit starts it, an open stream keeps it, it stops idleMs after the last page, and the state is serialised once per sample', async () => {
  const calls: string[] = [];
  const source = leakySource(5);
  const d = dashboardRoutes(source, { everyMs: 2000, idleMs: 300, sampling: { start: () => calls.push('start'), stop: () => calls.push('stop'), log: (l) => calls.push(l) } });
  const server = createServer((req, res) => void d.handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const waitFor = async (what: string, ok: () => boolean, ms = 5000) => {
    const deadline = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${calls.join(' | ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    assert.equal(calls.length, 0, 'nothing sampled before a page');
    const first = await (await fetch(`${base}/api/state`)).text();
    assert.equal(await (await fetch(`${base}/api/state`)).text(), first, 'the same sample: the same text');
    assert.deepEqual(calls.filter((c) => c === 'start'), ['start']);
    assert.match(calls.join(' | '), /dashboard: sampling started \(a page is open\)/);
    await waitFor('the stop after one visit', () => calls.includes('stop'));
    assert.match(calls.join(' | '), /dashboard: sampling stopped \(no page open for 0 s\)/);
    // A page open (its event stream) keeps it going for as long as it is open.
    calls.length = 0;
    const controller = new AbortController();
    const res = await fetch(`${base}/api/events`, { signal: controller.signal });
    assert.equal(res.status, 200);
    await new Promise((r) => setTimeout(r, 900));
    assert.deepEqual(calls.filter((c) => c === 'start' || c === 'stop'), ['start'], 'running while the stream is open');
    controller.abort();
    await waitFor('the stop after the page closed', () => calls.includes('stop'));
  } finally {
    d.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
