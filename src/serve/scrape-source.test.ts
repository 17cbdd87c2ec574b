import test from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { ScrapeSource } from './scrape-source.js';
import type { ScrapeResult } from './scrape.js';

/** A producer the test finishes by hand, counting how often it was asked. */
function manual() {
  const pending: Array<{ resolve: (r: ScrapeResult) => void; reject: (e: Error) => void }> = [];
  let calls = 0;
  const produce = () => {
    calls++;
    return new Promise<ScrapeResult>((resolve, reject) => pending.push({ resolve, reject }));
  };
  const result = (n: number): ScrapeResult => ({ model: { n } as never, seconds: 0.01, readyAt: performance.now() });
  return { produce, pending, result, calls: () => calls };
}

const tick = () => new Promise((r) => setImmediate(r));

test('concurrent requests share the one scrape in flight', async () => {
  const m = manual();
  const source = new ScrapeSource(m.produce, { timeoutMs: 5000 });
  const seen: number[] = [];
  source.onResult((r) => seen.push((r.model as unknown as { n: number }).n));
  const a = source.get();
  const b = source.get();
  const c = source.get();
  await tick();
  assert.equal(m.calls(), 1);
  assert.equal(source.busy, true);
  m.pending[0].resolve(m.result(1));
  const outcomes = await Promise.all([a, b, c]);
  assert.deepEqual(outcomes.map((o) => o.kind), ['fresh', 'fresh', 'fresh']);
  assert.deepEqual(seen, [1]);
  assert.equal(source.busy, false);
  // The next request reads the host again.
  const d = source.get();
  await tick();
  assert.equal(m.calls(), 2);
  m.pending[1].resolve(m.result(2));
  assert.equal((await d).kind, 'fresh');
});

test('a request that waits longer than the timeout answers without data; the late scrape serves the next one', async () => {
  const m = manual();
  const source = new ScrapeSource(m.produce, { timeoutMs: 30, maxAgeMs: 10_000 });
  const first = await source.get();
  assert.equal(first.kind, 'timeout');
  assert.ok(first.waitedMs >= 25, `waited ${first.waitedMs} ms`);
  assert.equal(source.busy, true, 'the scrape goes on after the timeout');
  m.pending[0].resolve(m.result(7));
  await tick();
  const second = await source.get();
  assert.equal(second.kind, 'late');
  assert.equal(second.kind === 'late' && (second.result.model as unknown as { n: number }).n, 7);
  assert.equal(m.calls(), 1, 'served without reading the host again');
});

test('a late result older than maxAge is dropped, not served', async () => {
  const m = manual();
  const source = new ScrapeSource(m.produce, { timeoutMs: 20, maxAgeMs: 0 });
  assert.equal((await source.get()).kind, 'timeout');
  m.pending[0].resolve({ ...m.result(1), readyAt: performance.now() - 1000 });
  await tick();
  const next = source.get();
  await tick();
  assert.equal(m.calls(), 2);
  m.pending[1].resolve(m.result(2));
  assert.equal((await next).kind, 'fresh');
});

test('a failed scrape is reported, and the next request tries again', async () => {
  const m = manual();
  const source = new ScrapeSource(m.produce, { timeoutMs: 5000 });
  const a = source.get();
  await tick();
  m.pending[0].reject(new Error('proc is gone'));
  const out = await a;
  assert.equal(out.kind, 'failed');
  assert.equal(out.kind === 'failed' && out.error.message, 'proc is gone');
  const b = source.get();
  await tick();
  assert.equal(m.calls(), 2);
  m.pending[1].resolve(m.result(3));
  assert.equal((await b).kind, 'fresh');
});

test('a request that times out after an earlier scrape gets that scrape, marked stale, so series do not vanish', async () => {
  const m = manual();
  const source = new ScrapeSource(m.produce, { timeoutMs: 30, staleMs: 10_000 });
  const first = source.get();
  await tick();
  m.pending[0].resolve(m.result(1));
  assert.equal((await first).kind, 'fresh');
  const slow = await source.get();
  assert.equal(slow.kind, 'stale');
  assert.equal(slow.kind === 'stale' && (slow.result.model as unknown as { n: number }).n, 1);
  // Too old to stand in: no data.
  const strict = new ScrapeSource(m.produce, { timeoutMs: 30, staleMs: 0 });
  const a = strict.get();
  await tick();
  m.pending[2].resolve({ ...m.result(2), readyAt: performance.now() - 1000 });
  await a;
  assert.equal((await strict.get()).kind, 'timeout');
});

test("a request's own shorter timeout (Prometheus' scrape_timeout) is honoured", async () => {
  const m = manual();
  const source = new ScrapeSource(m.produce, { timeoutMs: 5000 });
  const start = performance.now();
  const outcome = await source.get(100);
  assert.equal(outcome.kind, 'timeout');
  assert.ok(performance.now() - start < 2000, 'answered before --timeout');
  m.pending[0]!.resolve(m.result(1));
});
