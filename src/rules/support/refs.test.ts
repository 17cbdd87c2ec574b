/** Findings about a socket thousands of forked processes hold stay bounded: a few named, the rest counted. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listener, proc, snapshot } from '../../testing/snapshot-builder.js';
import { DEFAULT_RULE_OPTIONS } from '../types.js';
import { rule as acceptQueueFull } from '../accept-queue-full.js';
import { rule as closeWaitUnaccepted } from '../close-wait-unaccepted.js';
import { describeOwners, OWNERS_NAMED, processByPid } from './refs.js';

const WORKERS = 3000;
// A prefork server: one master and WORKERS forked workers, all holding the listener; every worker at its fd limit.
const master = proc({ pid: 500, name: 'master', open: 20, soft: 1024 });
const workers = Array.from({ length: WORKERS }, (_, i) => proc({ pid: 1000 + i, name: 'worker', open: 64, soft: 64, hard: 64 }));
const held = listener({ port: 8080, pids: [500, ...workers.map((w) => w.pid)], acceptQueue: 129, backlog: 128, closeWaitUnaccepted: 3 });
const snap = snapshot({ processes: [master, ...workers], listeners: [held] });

test('describeOwners names the first holders and counts the rest by name', () => {
  const text = describeOwners(snap, held);
  assert.equal(text.split('(pid ').length - 1, OWNERS_NAMED, text);
  assert.ok(text.startsWith('master (pid 500), worker (pid 1000), '), text);
  assert.ok(text.endsWith(`, ${WORKERS + 1 - OWNERS_NAMED} more processes (worker ×${(WORKERS + 1 - OWNERS_NAMED).toLocaleString('en-US')})`), text);
  // Few holders: every one named, nothing counted.
  const two = listener({ port: 81, pids: [500, 1000] });
  assert.equal(describeOwners(snap, two), 'master (pid 500), worker (pid 1000)');
});

test('processByPid finds processes in a sorted list, and in a hand-made unsorted one', () => {
  assert.equal(processByPid(snap, 1000 + WORKERS - 1)?.name, 'worker');
  assert.equal(processByPid(snap, 499), undefined);
  const shuffled = { processes: [workers[5], master, workers[1]] };
  assert.equal(processByPid(shuffled, 500)?.name, 'master');
  assert.equal(processByPid(shuffled, 1001)?.name, 'worker');
});

test('a full queue thousands of workers hold: every fd finding related, a few told, fix lines bounded', () => {
  const [f] = acceptQueueFull.check(snap, DEFAULT_RULE_OPTIONS);
  assert.equal(f.related?.filter((r) => r.startsWith('fd-limit-exhausted@')).length, WORKERS);
  assert.ok(f.explain.length < 4000, `explanation of ${f.explain.length} chars`);
  assert.match(f.explain, new RegExp(`${WORKERS - OWNERS_NAMED} more holders of this socket are near or at their file descriptor limit`));
  assert.equal(f.fix.filter((l) => l.startsWith('sockdoc limits')).length, 3);
  assert.ok(f.fix.length < 20, f.fix.join('\n'));
});

test('CLOSE_WAIT in the queue of thousands of workers out of fds: bounded text, distinct names to restart', () => {
  const [f] = closeWaitUnaccepted.check(snap, DEFAULT_RULE_OPTIONS);
  assert.ok(f.explain.length < 6000, `explanation of ${f.explain.length} chars`);
  assert.match(f.explain, new RegExp(`${WORKERS - OWNERS_NAMED} more holders are out of file descriptors too`));
  assert.ok(f.fix.some((l) => l.includes('# restarting master, worker releases them')), f.fix.join('\n'));
  assert.equal(f.fix.filter((l) => l.startsWith('sockdoc limits')).length, 3);
});
