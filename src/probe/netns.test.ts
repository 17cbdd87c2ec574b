import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverPidNetns, listNamedNetns, parseNetnsLink, readPidNetns } from './netns.js';

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
