/**
 * readNatRules live: the DNAT rule of a namespace this test makes is read inside it (nsenter through
 * the namespace file opened and checked against its inode), and a way in that names another
 * namespace now (a reused pid, a re-created name) reads nothing and says why.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { readNatRules } from './nat-read.js';
import { natTargets } from './nat-rules.js';
import { scene } from '../testing/netns-peers.js';
import { findOnPath } from '../../scripts/bench/netns.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : findOnPath('iptables', '/usr/sbin:/sbin:/usr/bin') ? false : 'needs iptables';

test('the NAT rules of a namespace are read inside it through its checked file; another namespace behind the same way in is refused', { skip, timeout: 30_000 }, (t) => {
  const sc = scene();
  t.after(() => sc.close());
  const id = `${process.pid}-${Math.random().toString(36).slice(2, 7)}`;
  const ns = `sockdoc-h22nat-${id}`;
  sc.netns(ns);
  const add = spawnSync('ip', ['netns', 'exec', ns, 'iptables', '-t', 'nat', '-A', 'OUTPUT', '-p', 'tcp', '--dport', '7777', '-j', 'DNAT', '--to-destination', '10.9.8.7:80'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(add.status, 0, add.stderr);
  const path = `/run/netns/${ns}`;
  const inode = statSync(path).ino;

  const r = readNatRules('/', { inode, pid: null, namedPath: path, own: false });
  assert.equal(r.note, null);
  assert.ok(r.table, 'read');
  assert.deepEqual(natTargets(r.table, 7777).map((x) => `${x.address}:${x.port}`), ['10.9.8.7:80']);

  // The same way in, but the namespace asked for is another one (sockdoc's own inode stands for it).
  const other = statSync('/proc/self/ns/net').ino;
  const wrong = readNatRules('/', { inode: other, pid: null, namedPath: path, own: false });
  assert.equal(wrong.table, null);
  assert.match(wrong.note ?? '', new RegExp(`NAT rules of netns ${other} were not read: ${path} names another namespace now`));
});
