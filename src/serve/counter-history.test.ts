import test from 'node:test';
import assert from 'node:assert/strict';
import { CounterHistory } from './counter-history.js';
import type { Listener, Snapshot } from '../snapshot/types.js';
import { listener } from '../testing/snapshot-builder.js';

function snap(values: Record<number, number>, listeners: Listener[] = []): Snapshot {
  const namespaces = Object.entries(values).map(([inode, v]) => ({
    inode: Number(inode),
    socketSource: 'sock_diag',
    counters: { values: { 'TcpExt.ListenOverflows': v }, deltas: null, intervalMs: 0 },
  }));
  return { namespaces, counters: namespaces[0].counters, sockets: [], listeners } as unknown as Snapshot;
}

test('deltas compare with the newest reading at least a window old, per namespace', () => {
  const h = new CounterHistory({ windowMs: 1000 });
  const s0 = snap({ 1: 100, 2: 5 });
  h.apply(s0, 0);
  assert.equal(s0.counters.deltas, null, 'nothing to compare with yet');
  const s1 = snap({ 1: 150, 2: 5 });
  h.apply(s1, 400);
  assert.equal(s1.counters.deltas, null, 'a reading 400 ms old is too recent');
  const s2 = snap({ 1: 171, 2: 9, 3: 1 });
  h.apply(s2, 1200);
  assert.deepEqual(s2.namespaces[0].counters, { values: { 'TcpExt.ListenOverflows': 171 }, deltas: { 'TcpExt.ListenOverflows': 71 }, intervalMs: 1200 });
  assert.equal(s2.counters, s2.namespaces[0].counters, 'the host counters are the first namespace');
  assert.deepEqual(s2.namespaces[1].counters.deltas, { 'TcpExt.ListenOverflows': 4 });
  assert.equal(s2.namespaces[2].counters.deltas, null, 'a namespace new since the baseline');
});

test('a counter that went down (namespace re-created) has no delta; old readings are forgotten', () => {
  const h = new CounterHistory({ windowMs: 1000, keepMs: 5000 });
  h.apply(snap({ 1: 500 }), 0);
  const down = snap({ 1: 3 });
  h.apply(down, 2000);
  assert.deepEqual(down.counters.deltas, {});
  const later = snap({ 1: 10 });
  h.apply(later, 6500);
  assert.equal(later.counters.intervalMs, 4500, 'compared with the 2000 ms reading, the 0 ms one is forgotten');
  const alone = snap({ 1: 12 });
  h.apply(alone, 20_000);
  assert.equal(alone.counters.deltas, null, 'every reading is older than keepMs');
});

test('each listener\'s own drops compare with the same baseline reading: dropping since, or not', () => {
  const h = new CounterHistory({ windowMs: 1000 });
  const at = (drops: number, more: Listener[] = []) => [listener({ port: 80, netns: 1, inode: 11, drops }), ...more];
  const s0 = snap({ 1: 100 }, at(40));
  h.apply(s0, 0);
  assert.equal(s0.listeners[0].dropsDelta ?? null, null, 'nothing to compare with yet');
  const s1 = snap({ 1: 100 }, at(40));
  h.apply(s1, 1100);
  assert.equal(s1.listeners[0].dropsDelta, 0, 'history, not now');
  const s2 = snap({ 1: 110 }, at(52, [listener({ port: 81, netns: 1, inode: 12, drops: 3 })]));
  h.apply(s2, 2300);
  assert.deepEqual(s2.listeners.map((l) => l.dropsDelta), [12, 3]);
  // Scrapes keep coming for 10 minutes: the readings (each with its listeners' drops) are cut to the base and the newest.
  for (let t = 3400; t < 600_000; t += 1100) h.apply(snap({ 1: 110 }, at(52)), t);
  const last = snap({ 1: 111 }, at(53));
  h.apply(last, 600_500);
  assert.equal(last.listeners[0].dropsDelta, 1);
  assert.ok(h.size <= 2, `${h.size} readings held`);
});

test('a namespace carried from an earlier read is judged as it was when read, and not recorded again; one unread is neither', () => {
  const h = new CounterHistory({ windowMs: 1000 });
  h.apply(snap({ 1: 100, 2: 5, 3: 50 }), 0);
  const read = snap({ 1: 110, 2: 9, 3: 60 });
  h.apply(read, 1200);
  assert.deepEqual(read.namespaces[1].counters, { values: { 'TcpExt.ListenOverflows': 9 }, deltas: { 'TcpExt.ListenOverflows': 4 }, intervalMs: 1200 });
  // Namespace 2 carried (its read of 1200 ms served again), namespace 3 not read at all.
  const carried = snap({ 1: 120, 2: 9, 3: 0 });
  carried.namespaces[2].counters = { values: {}, deltas: null, intervalMs: 0 };
  (carried.namespaces[2] as { socketSource: unknown }).socketSource = null;
  h.apply(carried, 2400, new Map([[2, 1200]]), new Set([3]));
  assert.deepEqual(carried.namespaces[1].counters, { values: { 'TcpExt.ListenOverflows': 9 }, deltas: { 'TcpExt.ListenOverflows': 4 }, intervalMs: 1200 }, 'not "no drops for 1.2 s": the judgment of its own read');
  assert.equal(carried.namespaces[2].counters.deltas, null, 'unread: nothing judged');
  assert.deepEqual(carried.namespaces[0].counters.deltas, { 'TcpExt.ListenOverflows': 10 });
  // Read again later: compared with its own last read, however many scrapes ago.
  const later = snap({ 1: 125, 2: 20, 3: 70 });
  h.apply(later, 3600);
  assert.deepEqual(later.namespaces[1].counters, { values: { 'TcpExt.ListenOverflows': 20 }, deltas: { 'TcpExt.ListenOverflows': 11 }, intervalMs: 2400 });
  assert.deepEqual(later.namespaces[2].counters.deltas, { 'TcpExt.ListenOverflows': 10 }, "namespace 3 against its read of 1200 ms");
  assert.equal(later.namespaces[2].counters.intervalMs, 2400);
});
