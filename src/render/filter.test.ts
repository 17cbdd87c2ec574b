import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeFilter, filterFindings, filterListeners, filterProcesses } from './filter.js';
import type { Finding } from '../rules/types.js';
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

test('filterFindings --pid: host-wide findings stay, another namespace\'s counter finding does not, the process\'s own namespace\'s does', () => {
  const snap = s();
  const pid = snap.processes[0].pid;
  snap.processes[0].netns = 4026532180;
  const web = { inode: 4026532180, kind: 'docker' as const, name: 'web' };
  const api = { inode: 4026532253, kind: 'docker' as const, name: 'api' };
  const f = (id: string, subject: Finding['subject']): Finding => ({ id, severity: 'warning', subject, title: id, evidence: {}, explain: '', fix: [] });
  const findings = [f('system-file-table-near', {}), f('listen-overflows', { netns: api }), f('syn-queue-pressure', { netns: web }), f('fd-limit-near', { pid, name: 'x' })];
  assert.deepEqual(filterFindings(findings, snap, { pid }).map((x) => x.id), ['system-file-table-near', 'syn-queue-pressure', 'fd-limit-near']);
  assert.deepEqual(filterFindings(findings, snap, {}).length, 4);
});
