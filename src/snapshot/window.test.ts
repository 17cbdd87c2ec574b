import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyWindow, closeWaitInodes, windowStartOf } from './window.js';
import { connections, listener, proc, snapshot } from '../testing/snapshot-builder.js';
import { runRules } from '../rules/index.js';
import { socketTableOf } from './socket-table.js';
import type { NetNamespace, Snapshot } from './types.js';

const CONTAINER = 4026532451;

/**
 * The host (inode 0) and a docker container, each with a server holding `count` CLOSE_WAIT
 * sockets from inode `first` up (one process per namespace): pid 10 on the host, pid 20 inside.
 */
function twoNamespaces(hostFirst: number, ctrFirst: number, count = 30): Snapshot {
  const cw = (pid: number, netns: number, first: number) =>
    connections(count, { firstPort: 40000, remoteAddress: '127.0.0.1', remotePort: 8080, state: 'CLOSE_WAIT', pid, netns }).map((s, i) => ({ ...s, inode: first + i }));
  const s = snapshot({
    processes: [proc({ pid: 10, name: 'hostsrv', sockets: { CLOSE_WAIT: count } }), proc({ pid: 20, name: 'ctrsrv', netns: CONTAINER, sockets: { CLOSE_WAIT: count } })],
    sockets: [...cw(10, 0, hostFirst), ...cw(20, CONTAINER, ctrFirst)],
    deltas: null,
  });
  const ctr: NetNamespace = { ...s.namespaces[0], inode: CONTAINER, kind: 'docker', name: 'web', container: { runtime: 'docker', id: 'a'.repeat(64), name: 'web' }, pids: [20], counters: { values: {}, deltas: null, intervalMs: 0 } };
  s.namespaces.push(ctr);
  return s;
}

const verdicts = (s: Snapshot) => runRules(s).filter((f) => f.id.startsWith('close-wait-')).map((f) => `${f.id}@${f.subject.pid}`).sort();

test('closeWaitInodes: owned CLOSE_WAIT only, of one namespace when asked', () => {
  const s = twoNamespaces(1000, 2000, 3);
  const t = socketTableOf(s);
  assert.deepEqual([...closeWaitInodes(t)].sort(), [1000, 1001, 1002, 2000, 2001, 2002]);
  assert.deepEqual([...closeWaitInodes(t, CONTAINER)].sort(), [2000, 2001, 2002]);
});

test('applyWindow: a leak in a container is a leak, churn on the host is churn: each namespace against its own start', () => {
  const start = windowStartOf(twoNamespaces(1000, 2000));
  // At the end: the host's sockets are all new (churn), the container's are the same ones (leak).
  const end = applyWindow(twoNamespaces(5000, 2000), start, 1000);
  assert.deepEqual(verdicts(end), ['close-wait-churn@10', 'close-wait-leak@20']);
  const leak = runRules(end).find((f) => f.id === 'close-wait-leak')!;
  assert.equal(leak.evidence.persisted, 30);
  assert.equal(leak.evidence.windowMs, 1000);
  assert.equal((leak.subject.netns as { name: string }).name, 'web');
  const churn = runRules(end).find((f) => f.id === 'close-wait-churn')!;
  assert.equal(churn.evidence.persisted, 0);
});

test('applyWindow: a namespace missing from the start (created during the window) is judged on one read', () => {
  const s = twoNamespaces(1000, 2000);
  const start = windowStartOf(s);
  (start.byNetns as Map<number, unknown>).delete(CONTAINER);
  const end = applyWindow(twoNamespaces(5000, 7000), start, 1000);
  assert.equal(end.namespaces[1].closeWaitAtStart, null);
  assert.equal(end.namespaces[1].counters.deltas, null);
  // New sockets, but no start to compare with: a leak as far as one read can tell, never churn.
  assert.deepEqual(verdicts(end), ['close-wait-churn@10', 'close-wait-leak@20']);
  assert.equal(runRules(end).find((f) => f.id === 'close-wait-leak')!.evidence.persisted, null);
});

test('applyWindow: a namespace whose sockets were not read at the start has no CLOSE_WAIT start (unknown, not none)', () => {
  const before = twoNamespaces(1000, 2000);
  before.namespaces[1].socketSource = null;
  const start = windowStartOf(before);
  assert.equal(start.byNetns.get(CONTAINER)?.closeWait, null);
  const end = applyWindow(twoNamespaces(1000, 9000), start, 1000);
  assert.deepEqual(verdicts(end), ['close-wait-leak@10', 'close-wait-leak@20']);
});

test('applyWindow: counter deltas per namespace, the first namespace\'s are the snapshot\'s; no window for ms <= 0', () => {
  const a = twoNamespaces(1, 2);
  a.namespaces[0].counters = { values: { 'TcpExt.ListenOverflows': 5 }, deltas: null, intervalMs: 0 };
  a.namespaces[1].counters = { values: { 'TcpExt.ListenOverflows': 100 }, deltas: null, intervalMs: 0 };
  const b = twoNamespaces(1, 2);
  b.namespaces[0].counters = { values: { 'TcpExt.ListenOverflows': 7 }, deltas: null, intervalMs: 0 };
  b.namespaces[1].counters = { values: { 'TcpExt.ListenOverflows': 160 }, deltas: null, intervalMs: 0 };
  assert.equal(applyWindow(b, windowStartOf(a), 0).namespaces[1].counters.deltas, null);
  applyWindow(b, windowStartOf(a), 2000);
  assert.deepEqual(b.namespaces[1].counters, { values: { 'TcpExt.ListenOverflows': 160 }, deltas: { 'TcpExt.ListenOverflows': 60 }, intervalMs: 2000 });
  assert.equal(b.counters, b.namespaces[0].counters);
  assert.deepEqual(b.counters.deltas, { 'TcpExt.ListenOverflows': 2 });
});

test('applyWindow: each listener\'s own drops against the start, per namespace; a listener created since counts whole; unknown stays unknown', () => {
  const withListeners = (drops: Array<[number, number, number | null]>) => {
    const s = twoNamespaces(1000, 2000, 1);
    for (const ns of s.namespaces) ns.socketSource = 'sock_diag';
    s.listeners = drops.map(([netns, inode, d]) => listener({ port: 8000 + inode, netns, inode, drops: d }));
    return s;
  };
  const start = windowStartOf(withListeners([[0, 1, 5], [CONTAINER, 2, 40], [CONTAINER, 3, null]]));
  assert.deepEqual([...(start.byNetns.get(CONTAINER)?.listenerDrops ?? [])], [[2, 40]]);
  const end = applyWindow(withListeners([[0, 1, 5], [CONTAINER, 2, 52], [CONTAINER, 3, null], [CONTAINER, 4, 7]]), start, 2000);
  assert.deepEqual(end.listeners.map((l) => [l.inode, l.dropsDelta]), [[1, 0], [2, 12], [3, null], [4, 7]]);
  // A start read without listeners' drops (a capture's window, an older sockdoc): no delta, not "none".
  const bare = { byNetns: new Map([...start.byNetns].map(([k, p]) => [k, { ...p, listenerDrops: null }])) };
  assert.deepEqual(applyWindow(withListeners([[CONTAINER, 2, 52]]), bare, 2000).listeners.map((l) => l.dropsDelta), [null]);
});
