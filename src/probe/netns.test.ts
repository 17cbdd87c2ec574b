import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverPidNetns, listNamedNetns, parseNetnsLink, readPidNetns } from './netns.js';
import { readNetnsCounters, readNetnsFromPid, readTreeNetns } from './netns-read.js';
import { fixture } from '../testing/paths.js';

test('parseNetnsLink: only "net:[digits]" is a network namespace', () => {
  assert.equal(parseNetnsLink('net:[4026531840]'), 4026531840);
  for (const bad of ['net:[]', 'net:[0]', 'mnt:[4026531840]', 'net:[4026531840] ', 'net:[-1]', 'net:[99999999999999999999]', '']) {
    assert.equal(parseNetnsLink(bad), null, bad);
  }
});

test('a captured tree: ns links grouped by inode, run/netns links named, a broken link is no namespace', () => {
  const root = mkdtempSync(join(tmpdir(), 'sockdoc-netns-'));
  try {
    const link = (rel: string, target: string) => {
      mkdirSync(join(root, rel, '..'), { recursive: true });
      symlinkSync(target, join(root, rel));
    };
    link('proc/10/ns/net', 'net:[4026531840]');
    link('proc/11/ns/net', 'net:[4026532320]');
    link('proc/12/ns/net', 'mnt:[4026532320]');
    link('proc/self/ns/net', 'net:[4026531840]');
    link('run/netns/blue', 'net:[4026532320]');
    link('run/netns/stale', 'not a namespace');
    writeFileSync(join(root, 'run/netns/plain-file'), ''); // an unmounted leftover: no inode to trust
    const d = discoverPidNetns(root, [10, 11, 12, 13]);
    assert.deepEqual([...d.byPid], [[10, 4026531840], [11, 4026532320]]);
    assert.equal(d.own, 4026531840);
    assert.deepEqual(d.denied, []);
    assert.deepEqual(readPidNetns(root, 13), { inode: null, denied: false });
    assert.deepEqual(listNamedNetns(root).map((n) => [n.name, n.inode]), [['blue', 4026532320]]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('readNetnsFromPid reads /proc/PID/net only of a pid still in the namespace (a reused pid describes another)', () => {
  const root = mkdtempSync(join(tmpdir(), 'sockdoc-netns-'));
  try {
    const tcp = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000:03EA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 9001 1 0000000000000000 100 0 0 10 0\n';
    for (const [pid, inode] of [[5, 222], [6, 111]] as const) {
      mkdirSync(join(root, 'proc', String(pid), 'ns'), { recursive: true });
      mkdirSync(join(root, 'proc', String(pid), 'net'), { recursive: true });
      symlinkSync(`net:[${inode}]`, join(root, 'proc', String(pid), 'ns', 'net'));
      writeFileSync(join(root, 'proc', String(pid), 'net', 'tcp'), pid === 5 ? tcp : tcp.split('\n')[0] + '\n');
    }
    // Found in 111 through pid 5, which now names 222: its listener on 1002 is not 111's; pid 6 is read.
    const d = readNetnsFromPid(root, { inode: 111, pids: [5, 6], namedPath: null, label: 'netns 111' }, 'test');
    assert.equal(d.table.length, 0);
    assert.match(d.notes.join(' '), /proc\/6\/net\/tcp/);
    const none = readNetnsFromPid(root, { inode: 111, pids: [5], namedPath: null, label: 'netns 111' }, 'test');
    assert.equal(none.table.length, 0);
    assert.match(none.notes.join(' '), /none of its processes/);
    assert.equal(readNetnsCounters(root, [5], 111), null);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a namespace whose sockstat counts no socket is empty, from a capture or from outside: nothing else read, nothing partial', () => {
  const root = mkdtempSync(join(tmpdir(), 'sockdoc-netns-'));
  try {
    const empty = readFileSync(fixture('pressure', 'sockstat-empty-netns'));
    const empty6 = readFileSync(fixture('pressure', 'sockstat6-empty-netns'));
    // Captured from inside: netns/INODE/proc/net/sockstat{,6} and nothing else.
    mkdirSync(join(root, 'netns', '111', 'proc', 'net'), { recursive: true });
    writeFileSync(join(root, 'netns', '111', 'proc', 'net', 'sockstat'), empty);
    writeFileSync(join(root, 'netns', '111', 'proc', 'net', 'sockstat6'), empty6);
    const t = { inode: 111, pids: [], namedPath: null, label: 'netns 111' };
    const tree = readTreeNetns(root, t);
    assert.equal(tree.empty, true);
    assert.equal(tree.partial, false, tree.notes.join(' '));
    assert.deepEqual([tree.socketSource, tree.unix.source, tree.counters, tree.tunables['net.core.somaxconn'], tree.notes, tree.reports], ['proc', 'proc', null, null, [], []]);
    // One unix socket in use: read whole (here: what the capture lacks is said, partial).
    writeFileSync(join(root, 'netns', '111', 'proc', 'net', 'sockstat'), readFileSync(fixture('pressure', 'sockstat-netns-one-unix')));
    const whole = readTreeNetns(root, t);
    assert.ok(!whole.empty);
    assert.equal(whole.partial, true);
    // From outside, through a process still in it (checked before and after).
    mkdirSync(join(root, 'proc', '7', 'ns'), { recursive: true });
    mkdirSync(join(root, 'proc', '7', 'net'), { recursive: true });
    symlinkSync('net:[222]', join(root, 'proc', '7', 'ns', 'net'));
    writeFileSync(join(root, 'proc', '7', 'net', 'sockstat'), empty);
    const outside = readNetnsFromPid(root, { inode: 222, pids: [7], namedPath: null, label: 'netns 222' }, 'test');
    assert.deepEqual([outside.empty, outside.partial, outside.outside, outside.notes], [true, false, true, []]);
    // A pid that now names another namespace says nothing of this one.
    const other = readNetnsFromPid(root, { inode: 333, pids: [7], namedPath: null, label: 'netns 333' }, 'test');
    assert.ok(!other.empty);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
