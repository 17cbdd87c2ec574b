import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverPidNetns, listNamedNetns, parseNetnsLink, readPidNetns } from './netns.js';
import { readNetnsCounters, readNetnsFromPid } from './netns-read.js';

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
