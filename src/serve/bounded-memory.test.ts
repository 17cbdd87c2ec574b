/**
 * What `sockdoc serve` keeps between scrapes is bounded by COUNT, and what is gone leaves (issue
 * 23): a tenant creating and destroying namespaces and processes all day must not grow it. Each
 * store the exporter keeps is fed many distinct namespaces, processes and listeners, and its size
 * is checked against its bound after every step. No clock, no RSS: counts only.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { CounterHistory } from './counter-history.js';
import { LimitOriginCache } from './limit-origins.js';
import { HISTORY_CAPACITY } from './scrape.js';
import { ScrapeSource } from './scrape-source.js';
import { History } from '../history/history.js';
import { MetricsRenderer } from '../render/prometheus.js';
import type { MetricsModel } from '../render/prometheus-model.js';
import type { LimitOrigin } from '../provenance/types.js';
import type { NetNamespace } from '../snapshot/types.js';
import { listener, proc, snapshot } from '../testing/snapshot-builder.js';

const T0 = Date.UTC(2026, 11, 7, 12);

/** Sample `i` of a flood: the host plus `perStep` namespaces, processes and listeners never seen before. */
function floodSample(i: number, perStep: number) {
  const s = snapshot({
    processes: [proc({ pid: 1, name: 'init', open: 10, soft: 1024 }), ...Array.from({ length: perStep }, (_, k) => proc({ pid: 1000 + i * perStep + k, name: 'tenant', open: 50 + k, soft: 1024 }))],
    listeners: Array.from({ length: perStep }, (_, k) => listener({ port: 9400, netns: 10_000 + i * perStep + k, acceptQueue: 2, backlog: 0 })),
    values: { 'TcpExt.ListenOverflows': i },
  });
  const host = s.namespaces[0];
  for (let k = 0; k < perStep; k++) {
    const inode = 10_000 + i * perStep + k;
    s.namespaces.push({ ...host, inode, kind: 'other', name: `flood-${inode}`, counters: { values: { 'TcpExt.ListenOverflows': k }, deltas: null, intervalMs: 0 } } as NetNamespace);
  }
  s.host.takenAt = new Date(T0 + i * 1000).toISOString();
  return s;
}

test('the window between scrapes holds a few snapshots, whatever the clock: namespaces that are gone leave with them', () => {
  const counters = new CounterHistory();
  const perStep = 50;
  // Scrapes a second apart, bursts 10 ms apart, a pause of 20 minutes: never more than the bound.
  let at = T0;
  for (let i = 0; i < 400; i++) {
    at += i % 50 === 49 ? 1_200_000 : i % 7 < 3 ? 10 : 1000;
    counters.apply(floodSample(i, perStep), at);
    assert.ok(counters.size <= 4, `step ${i}: ${counters.size} readings`);
    assert.ok(counters.namespacesHeld <= 4 * (perStep + 1), `step ${i}: ${counters.namespacesHeld} namespaces held`);
  }
  // 400 × 50 namespaces went through; what is held is the last few snapshots'.
  assert.ok(counters.namespacesHeld < 20_000 / 50);
});

test("serve's trend history (the forecast's) stays at its caps under a flood of namespaces, listeners and processes", () => {
  const trend = new History({ capacity: HISTORY_CAPACITY });
  const { maxProcesses, maxListeners, maxNamespaces } = trend.options;
  for (let i = 0; i < 300; i++) {
    trend.record(floodSample(i, 40));
    assert.ok(trend.processes.size <= maxProcesses, `step ${i}: ${trend.processes.size} processes`);
    assert.ok(trend.listeners.size <= maxListeners, `step ${i}: ${trend.listeners.size} listeners`);
    assert.ok(trend.namespaces.size <= maxNamespaces, `step ${i}: ${trend.namespaces.size} namespaces`);
    // Series: 3 per process, 4 per listener, 9 counter rates per namespace, at most.
    assert.ok(trend.ring.seriesCount <= 3 * maxProcesses + 4 * maxListeners + 9 * maxNamespaces, `step ${i}: ${trend.ring.seriesCount} series`);
  }
  assert.equal(trend.processes.size, maxProcesses, 'full, not empty: the bound is what holds it');
});

test('limit provenance is kept for the processes of the last scrape only', () => {
  const explained: number[] = [];
  const explain = (_root: string, pids: readonly number[]) => {
    explained.push(...pids);
    return new Map(pids.map((pid) => [pid, { pid } as unknown as LimitOrigin]));
  };
  const cache = new LimitOriginCache('/', 300_000, explain);
  for (let i = 0; i < 200; i++) {
    const processes = [proc({ pid: 1, name: 'init' }), ...Array.from({ length: 30 }, (_, k) => proc({ pid: 1000 + i * 30 + k, name: 'tenant' }))];
    const got = cache.get(processes, T0 + i * 1000);
    assert.equal(got.size, 31);
    assert.equal(cache.size, 31, `step ${i}: ${cache.size} held`);
  }
  assert.equal(explained.filter((pid) => pid === 1).length, 1, 'a process that stays is explained once (the cache still works)');
});

test('the host text renders once and its samples are released: no label map per series lives until the next scrape', async () => {
  const renderer = new MetricsRenderer();
  // Asserted rather than annotated: compiles whether or not MetricsModel has the namespace counts yet.
  const model = {
    listeners: Array.from({ length: 2000 }, (_, k) => ({
      labels: { netns: `ns-${k}`, container: '', pod: '', pod_namespace: '', address: '127.0.0.1', port: '9400', socket: 'tcp' },
      owner: { program: 'python3', pid: String(100 + k) },
      acceptQueue: 1,
      backlog: 0,
      synRecv: 0,
      queuedEstablished: 1,
      queuedCloseWait: 0,
      acceptWaitMaxSeconds: null,
      acceptWaitMedianSeconds: null,
      drops: 0,
    })) as unknown as MetricsModel['listeners'],
    processes: [],
    namespaces: [],
    host: { filesAllocated: 1, filesMax: 2, nrOpen: 3 },
    findings: [],
    probes: [],
    processesSeen: 1,
    processesDropped: 0,
    findingsDropped: 0,
    partial: false,
    namespacesSeen: 2000,
    namespacesEmpty: 0,
    namespacesCarried: 0,
    namespacesUnread: 0,
    namespacesMaxAgeSeconds: 0,
  } as MetricsModel;
  const text = await renderer.renderHost(model);
  assert.equal(text.split('\n').filter((l) => l.startsWith('sockdoc_listener_accept_queue{')).length, 2000);
  for (const metric of renderer.hostRegistry.getMetricsAsArray()) {
    const held = Object.keys((metric as unknown as { hashMap: object }).hashMap).length;
    assert.equal(held, 0, `${(metric as unknown as { name: string }).name} still holds ${held} samples`);
  }
});

test('the main thread keeps at most the last answer and one not yet served, however many scrapes ran', async () => {
  let n = 0;
  const source = new ScrapeSource(async () => ({ id: n++, readyAt: performance.now() }), { timeoutMs: 1000 });
  for (let i = 0; i < 50; i++) assert.equal((await source.get()).kind, 'fresh');
  // What the source references: `last` (and `unserved` when every waiter gave up); nothing else.
  const refs = Object.values(source as unknown as Record<string, unknown>).filter((v) => v !== null && typeof v === 'object' && 'readyAt' in (v as object));
  assert.ok(refs.length <= 2, `${refs.length} results referenced`);
});

test('carried namespace reads are those of namespaces that exist now, at most maxCarried of them', async () => {
  const { NetnsCarry } = await import('./netns-carry.js');
  const { emptyNetnsData } = await import('../probe/netns-read.js');
  let clock = 0;
  const carry = new NetnsCarry({ budgetMs: 0, maxCarried: 300, now: () => clock, identity: (t) => String(t.inode), read: async (b) => b.map((t) => ({ ...emptyNetnsData(t), counters: { 'TcpExt.ListenOverflows': 1 } })) });
  // 50 rounds of 500 namespaces each, a new set every 5 rounds (a tenant's churn); each round reads a few.
  for (let i = 0; i < 50; i++) {
    const base = 10_000 + Math.floor(i / 5) * 500;
    const targets = Array.from({ length: 500 }, (_, k) => ({ inode: base + k, pids: [], namedPath: null, label: `n${base + k}` }));
    for (let r = 0; r < 100; r++) await carry.read(targets, (clock += 1000));
    assert.ok(carry.size <= 300, `round ${i}: ${carry.size} reads kept`);
  }
  assert.equal(carry.size, 300, 'full, not empty: the bound is what holds it');
});
