import { test } from 'node:test';
import assert from 'node:assert/strict';
import { History } from '../history/history.js';
import { runRules } from '../rules/index.js';
import { DEFAULT_RULE_OPTIONS } from '../rules/types.js';
import { leakySnapshot } from '../testing/sample-builder.js';
import { Sampler, sampleOver, withDeltasSince } from './sampler.js';

test('withDeltasSince: counter deltas and window from the previous sample, per namespace', () => {
  const a = leakySnapshot(0);
  const b = withDeltasSince(leakySnapshot(3), a);
  assert.deepEqual(b.counters.deltas, { 'TcpExt.ListenOverflows': 30, 'Tcp.PassiveOpens': 300 });
  assert.equal(b.counters.intervalMs, 6000);
  assert.deepEqual(b.namespaces[0].counters.deltas, b.counters.deltas);
  // listen-overflows now sees handshakes dropped during the window.
  assert.ok(runRules(b).some((f) => f.id === 'listen-overflows' && f.severity === 'critical'));
});

test('withDeltasSince: softnet drops and conntrack stats since the previous sample, so netdev-backlog-drops sees drops happen', () => {
  const cpus = (dropped: number) => [{ cpu: 0, processed: 1000, dropped, timeSqueeze: 0 }];
  const a = leakySnapshot(0);
  a.softnet = { cpus: cpus(100), dropped: 100, droppedDelta: null, timeSqueeze: 0, intervalMs: 0 };
  a.conntrack = { count: 10, max: 100, buckets: 100, stats: { drop: 5, insert_failed: 1 }, statDeltas: null, intervalMs: 0 };
  const b = leakySnapshot(3);
  b.softnet = { cpus: cpus(130), dropped: 130, droppedDelta: null, timeSqueeze: 0, intervalMs: 0 };
  b.conntrack = { count: 10, max: 100, buckets: 100, stats: { drop: 9, insert_failed: 1 }, statDeltas: null, intervalMs: 0 };
  withDeltasSince(b, a);
  assert.equal(b.softnet.droppedDelta, 30);
  assert.equal(b.softnet.intervalMs, 6000);
  assert.deepEqual(b.conntrack.statDeltas, { drop: 4, insert_failed: 0 });
  const f = runRules(b).find((x) => x.id === 'netdev-backlog-drops');
  assert.match(f?.title ?? '', /^30 received packets dropped in 6 s/);
});

test('withDeltasSince: each listener\'s drops since the previous sample name it in listen-overflows', () => {
  const a = leakySnapshot(0);
  const b = leakySnapshot(3);
  a.namespaces[0].socketSource = 'sock_diag';
  a.listeners = a.listeners.map((l) => ({ ...l, drops: 100 }));
  b.listeners = b.listeners.map((l) => ({ ...l, drops: 130 }));
  withDeltasSince(b, a);
  assert.ok(b.listeners.length > 0);
  assert.ok(b.listeners.every((l) => l.dropsDelta === 30));
  const f = runRules(b).find((x) => x.id === 'listen-overflows');
  assert.equal(f?.evidence.attribution, 'per-listener');
});

test('sampleOver: n snapshots spread over the window, history filled, deltas over the whole window', async () => {
  let i = 0;
  const waits: number[] = [];
  const history = new History({ capacity: 6 });
  const last = await sampleOver(
    async () => leakySnapshot(i++),
    history,
    10_000,
    6,
    async (ms) => void waits.push(ms),
  );
  assert.equal(i, 6);
  assert.equal(history.ring.length, 6);
  assert.equal(waits.length, 5);
  assert.equal(last.counters.deltas!['TcpExt.ListenOverflows'], 50);
  assert.equal(last.counters.intervalMs, 10_000);
  await assert.rejects(sampleOver(async () => leakySnapshot(0), history, 1000, 1), RangeError);
});

test('Sampler: samples on its schedule, records, analyses with the history, tells subscribers, stops', async () => {
  let i = 0;
  const history = new History({ capacity: 100 });
  const sampler = new Sampler({
    everyMs: 5,
    history,
    take: async () => leakySnapshot(i++),
    analyse: (s, context) => runRules(s, DEFAULT_RULE_OPTIONS, undefined, context),
  });
  const seen: number[] = [];
  const done = new Promise<void>((resolve) => {
    sampler.subscribe((s) => {
      seen.push(s.at);
      if (seen.length === 8) resolve();
    });
  });
  sampler.start();
  await done;
  sampler.stop();
  const after = i;
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(i, after, 'no sample after stop()');
  assert.ok(history.ring.length >= 8);
  assert.ok(sampler.latest()!.findings.some((f) => f.id === 'fd-exhaustion-forecast'), 'the forecast fires from the recorded history');
});

test('Sampler: a failing sample is reported and the loop goes on', async () => {
  let i = 0;
  const errors: string[] = [];
  const sampler = new Sampler({
    everyMs: 5,
    history: new History({ capacity: 10 }),
    take: async () => {
      if (i++ === 1) throw new Error('proc vanished');
      return leakySnapshot(i);
    },
    analyse: () => [],
    onError: (e) => errors.push((e as Error).message),
  });
  await new Promise<void>((resolve) => {
    sampler.subscribe(() => {
      if (i >= 4) resolve();
    });
    sampler.start();
  });
  sampler.stop();
  assert.deepEqual(errors, ['proc vanished']);
});
