import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pressureOver, readPressure, type PressureSample } from './net-pressure.js';
import { buildSnapshot } from './build.js';
import { fixture } from '../testing/paths.js';

function sample(drop: number, early: number, softDropped: number[]): PressureSample {
  return {
    conntrack: { count: 10, max: 100, buckets: 64 },
    conntrackStat: { entries: 10, totals: { drop, early_drop: early }, cpus: 2 },
    sockstat: { tcpInuse: 1, tcpOrphan: 0, tcpTimeWait: 0, tcpAlloc: 1, tcpMemPages: 1 },
    softnet: softDropped.map((d, cpu) => ({ cpu, processed: 0, dropped: d, timeSqueeze: 0 })),
    reports: [],
  };
}

test('rates over the window: conntrack stat columns and softnet drops, summed over CPUs', () => {
  const p = pressureOver(sample(5, 1, [3, 4]), sample(9, 1, [3, 10]), 1000);
  assert.deepEqual(p.conntrack?.statDeltas, { drop: 4, early_drop: 0 });
  assert.equal(p.conntrack?.intervalMs, 1000);
  assert.equal(p.softnet?.dropped, 13);
  assert.equal(p.softnet?.droppedDelta, 6);
  assert.deepEqual(p.notes, []);
});

test('one reading: totals only, no rates; a counter that went down has no delta', () => {
  const one = pressureOver(null, sample(9, 1, [3]), 1000);
  assert.equal(one.conntrack?.statDeltas, null);
  assert.equal(one.conntrack?.intervalMs, 0);
  assert.equal(one.softnet?.droppedDelta, null);
  const reset = pressureOver(sample(9, 1, [30]), sample(2, 1, [3]), 1000);
  assert.deepEqual(reset.conntrack?.statDeltas, { early_drop: 0 });
  assert.equal(reset.softnet?.droppedDelta, null);
});

test('nf_conntrack absent: conntrack null, not partial, nothing to say', async () => {
  const s = await buildSnapshot({ root: fixture('hosts', 'seed-queue-full'), intervalMs: 0 });
  assert.equal(s.conntrack, null);
  const report = s.probes.find((p) => p.source.endsWith('nf_conntrack_count'));
  assert.equal(report?.status, 'absent');
  assert.ok(!s.notes.some((n) => /conntrack/.test(n)), 'no note: an absent module is not something missed');
});

test('the live host, sampled: rates are there (when nf_conntrack is loaded, its stat deltas too)', async () => {
  const live = readPressure('/');
  const s = await buildSnapshot({ root: '/', intervalMs: 100, pids: [process.pid] });
  assert.ok(s.softnet && s.softnet.droppedDelta !== null && s.softnet.intervalMs === 100);
  assert.ok(s.sockstat && s.sockstat.tcpInuse >= 0);
  if (live.conntrack) assert.ok(s.conntrack?.statDeltas, 'stat deltas over the window');
  else assert.equal(s.conntrack, null);
  assert.deepEqual(s.namespaces[0].conntrack, s.conntrack, 'the host namespace carries the same table');
});
