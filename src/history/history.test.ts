import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listener, proc, snapshot } from '../testing/snapshot-builder.js';
import { History, KIND_READINGS, listenerId, listenerKey, processKey, rateKey } from './history.js';
import { Ring } from './ring.js';

const T0 = Date.parse('2026-11-30T03:00:00Z');

test('the ring keeps the last `capacity` samples, oldest first', () => {
  const r = new Ring(3);
  for (let i = 0; i < 5; i++) {
    r.begin(T0 + i * 1000);
    r.set('x', i);
    if (i % 2 === 0) r.set('even', i);
  }
  assert.deepEqual(r.timeline(), [T0 + 2000, T0 + 3000, T0 + 4000]);
  assert.deepEqual(r.values('x'), [2, 3, 4]);
  assert.deepEqual(r.values('even'), [2, null, 4]);
  assert.deepEqual(r.points('even').map((p) => p.v), [2, 4]);
  assert.equal(r.latest('x'), 4);
  assert.deepEqual(r.values('unknown'), [null, null, null]);
});

test('a series with no value left in the window is dropped: memory follows what is alive', () => {
  const r = new Ring(3);
  r.begin(T0);
  r.set('gone', 1);
  for (let i = 1; i <= 3; i++) {
    assert.ok(r.has('gone'), `still in the window after ${i - 1} more samples`);
    r.begin(T0 + i);
  }
  assert.equal(r.has('gone'), false);
  assert.equal(r.seriesCount, 0);
  assert.equal(r.bytes, 3 * 8);
});

test('time must not go back; capacity must make sense', () => {
  const r = new Ring(2);
  r.begin(T0);
  assert.throws(() => r.begin(T0 - 1), RangeError);
  assert.throws(() => new Ring(1), RangeError);
  assert.throws(() => new Ring(2).set('x', 1), /before begin/);
});

function snap(t: number, open: number, queue: number, overflows: number) {
  const s = snapshot({
    processes: [proc({ pid: 10, name: 'server', open, soft: 1024, sockets: { CLOSE_WAIT: 3 } }), proc({ pid: 11, name: 'idle', open: 5 })],
    listeners: [listener({ address: '127.0.0.1', port: 8080, pids: [10], acceptQueue: queue, backlog: 128, synRecv: 2 })],
    values: { 'TcpExt.ListenOverflows': overflows },
  });
  s.host.takenAt = new Date(t).toISOString();
  return s;
}

test('History records listeners by (netns, address, port), processes by pid, counter rates per namespace', () => {
  const h = new History({ capacity: 10 });
  h.record(snap(T0, 100, 5, 1000));
  h.record(snap(T0 + 2000, 110, 7, 1030));
  const id = listenerId({ netns: 0, address: '127.0.0.1', port: 8080 });
  assert.deepEqual(h.ring.values(listenerKey(id, 'queue')), [5, 7]);
  assert.deepEqual(h.ring.values(listenerKey(id, 'backlog')), [128, 128]);
  assert.deepEqual(h.ring.values(listenerKey(id, 'synRecv')), [2, 2]);
  assert.deepEqual(h.ring.values(processKey(10, 'open')), [100, 110]);
  assert.deepEqual(h.ring.values(processKey(10, 'closeWait')), [3, 3]);
  assert.deepEqual(h.ring.values(processKey(10, 'soft')), [1024, 1024]);
  // 30 overflows in 2 s; no rate for the first sample.
  assert.deepEqual(h.ring.values(rateKey(0, 'TcpExt.ListenOverflows')), [null, 15]);
  assert.deepEqual(h.fdPoints(10, 'server'), [{ t: T0, v: 100 }, { t: T0 + 2000, v: 110 }]);
  assert.deepEqual(h.fdPoints(10, 'another'), [], 'another program with that pid has no history');
});

test('a reused pid starts a new history', () => {
  const h = new History({ capacity: 10 });
  h.record(snap(T0, 100, 0, 0));
  const s = snap(T0 + 2000, 7, 0, 0);
  s.processes[0].name = 'newcomer';
  h.record(s);
  assert.deepEqual(h.fdPoints(10, 'newcomer').map((p) => p.v), [7]);
});

test('caps: at most maxProcesses, listener owners first, then the fullest', () => {
  const h = new History({ capacity: 4, maxProcesses: 2 });
  const s = snapshot({
    processes: [
      proc({ pid: 1, open: 10, soft: 1000 }),
      proc({ pid: 2, open: 900, soft: 1000 }),
      proc({ pid: 3, open: 500, soft: 1000 }),
      proc({ pid: 4, open: 20, soft: 1000 }),
    ],
    listeners: [listener({ port: 80, pids: [4] })],
  });
  h.record(s);
  assert.deepEqual([...h.processes.keys()].sort(), [2, 4]);
});

test('bounded under churn: a new process replaces the one seen longest ago, never one still alive', () => {
  const h = new History({ capacity: 100, maxProcesses: 3 });
  for (let i = 0; i < 50; i++) {
    // pid 1 lives throughout; every sample brings two short-lived processes.
    const s = snapshot({ processes: [proc({ pid: 1, open: 500, soft: 1000 }), proc({ pid: 1000 + 2 * i, open: 5 }), proc({ pid: 1001 + 2 * i, open: 6 })] });
    s.host.takenAt = new Date(T0 + i * 1000).toISOString();
    h.record(s);
    assert.ok(h.processes.size <= 3);
    assert.ok(h.ring.seriesCount <= 3 * 3 + 9, `series ${h.ring.seriesCount}`);
  }
  assert.deepEqual([...h.processes.keys()].sort((a, b) => a - b), [1, 1098, 1099]);
  assert.equal(h.fdPoints(1, 'proc1').length, 50, 'the long-lived process kept its whole history');
  // Full of processes seen in this very sample: a newcomer waits rather than evicting a live one.
  const crowd = new History({ capacity: 10, maxProcesses: 2 });
  crowd.record(snapshot({ processes: [proc({ pid: 1, open: 900, soft: 1000 }), proc({ pid: 2, open: 800, soft: 1000 }), proc({ pid: 3, open: 700, soft: 1000 })] }));
  assert.deepEqual([...crowd.processes.keys()].sort(), [1, 2]);
});

test('fds by kind: at most KIND_READINGS kept per process, the oldest and newest always, the growth told per kind', () => {
  const h = new History({ capacity: 100 });
  for (let i = 0; i < 100; i++) {
    const s = snapshot({ processes: [proc({ pid: 9, name: 'app', open: 100 + i, soft: 1024, fdKinds: { tcp: 50, eventpoll: 50 + i } })] });
    h.record(s, T0 + i * 1000);
  }
  const meta = h.processes.get(9);
  assert.equal(meta?.kinds?.length, KIND_READINGS);
  assert.equal(meta?.kinds?.[0].t, T0, 'the oldest reading of the window stays');
  assert.equal(meta?.kinds?.[KIND_READINGS - 1].t, T0 + 99_000);
  const gaps = (meta?.kinds ?? []).slice(1).map((k, i) => k.t - (meta?.kinds ?? [])[i].t);
  assert.ok(Math.max(...gaps) <= 3 * Math.min(...gaps), `spread over the window: gaps ${gaps.join(',')}`);
  assert.deepEqual(h.fdKindGrowth(9, 'app'), { spanMs: 99_000, deltas: { eventpoll: 99 } });
  assert.equal(h.fdKindGrowth(9, 'other'), null, 'another program under the pid');
  assert.equal(h.fdKindGrowth(10, 'app'), null);
});
