import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeFilter, filterListeners, filterProcesses } from './filter.js';
import { seedDiagnosis } from './test-data.js';

const s = () => seedDiagnosis().snapshot;

test('no filter: everything', () => {
  assert.equal(filterListeners(s(), {}).length, 4);
  assert.equal(filterProcesses(s(), {}).length, s().processes.length);
  assert.equal(describeFilter({}), null);
});

test('pid: that process and the listeners it holds', () => {
  assert.deepEqual(filterProcesses(s(), { pid: 812 }).map((p) => p.pid), [812]);
  assert.deepEqual(filterListeners(s(), { pid: 812 }).map((l) => `${l.address}:${l.port}`), ['0.0.0.0:22', ':::22']);
  assert.equal(describeFilter({ pid: 812 }), 'pid 812');
});

test('port: listeners on it and the processes listening there', () => {
  assert.deepEqual(filterListeners(s(), { port: 8889 }).map((l) => l.inode), [510001]);
  assert.deepEqual(filterProcesses(s(), { port: 8889 }).map((p) => p.pid), [37482]);
  assert.deepEqual(filterProcesses(s(), { port: 1 }), []);
});

test('pid and port together: both must hold', () => {
  assert.deepEqual(filterListeners(s(), { pid: 812, port: 8889 }), []);
  assert.deepEqual(filterProcesses(s(), { pid: 812, port: 8889 }), []);
  assert.deepEqual(filterProcesses(s(), { pid: 812, port: 22 }).map((p) => p.pid), [812]);
  assert.equal(describeFilter({ pid: 812, port: 22 }), 'pid 812, port 22');
});
