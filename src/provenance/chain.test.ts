import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture } from '../testing/paths.js';
import { originIndex, readChain, type ProcNode } from './chain.js';

const node = (pid: number, soft: number | null, hard: number | null): ProcNode => ({ pid, ppid: 0, name: `p${pid}`, argv: [], limit: { soft, hard }, uid: 0, creds: null, cgroup: null, cgroupPaths: [] });

test('readChain walks ppid links to pid 1 with each link\'s limits, comm, argv, uid and cgroup', () => {
  const c = readChain(fixture('limits', 'pam'), 4410);
  assert.ok(c);
  assert.deepEqual(c.links.map((l) => [l.pid, l.name, l.limit.soft, l.limit.hard]), [
    [4410, 'python3', 8192, 16384],
    [4400, 'bash', 8192, 16384],
    [4399, 'sshd', 8192, 16384],
    [4390, 'sshd', 8192, 16384],
    [700, 'sshd', 1024, 524288],
    [1, 'systemd', 1073741816, 1073741816],
  ]);
  assert.equal(c.links[0].uid, 1001);
  assert.deepEqual(c.links[3].argv, ['sshd: alice [priv]']);
  assert.equal(c.links[0].cgroup, '/user.slice/user-1001.slice/session-7.scope');
  assert.deepEqual(c.notes, []);
});

test('the systemd cgroup path comes from name=systemd in hybrid layouts', () => {
  const c = readChain(fixture('limits', 'systemd-builtin-seed'), 37482);
  assert.equal(c?.links[0].cgroup, '/system.slice/supervisor.service');
  assert.equal(c?.links[0].cgroupPaths.length, 4);
});

test('originIndex climbs while the parent holds the same soft and hard', () => {
  assert.equal(originIndex([node(3, 10, 20), node(2, 10, 20), node(1, 99, 99)]), 1);
  assert.equal(originIndex([node(3, 10, 20), node(2, 10, 30)]), 0);
  assert.equal(originIndex([node(3, 10, 20), node(2, 10, 20)]), 1);
  assert.equal(originIndex([node(3, null, null), node(2, null, null)]), 0, 'unknown limits never match');
});

test('a missing process gives null; a vanished parent ends the chain with a note', () => {
  const root = mkdtempSync(join(tmpdir(), 'sockdoc-chain-'));
  try {
    cpSync(fixture('limits', 'supervisord-minfds'), root, { recursive: true });
    assert.equal(readChain(root, 424242), null);
    rmSync(join(root, 'proc', '3300'), { recursive: true });
    const c = readChain(root, 3310);
    assert.deepEqual(c?.links.map((l) => l.pid), [3310]);
    assert.match(c?.notes[0] ?? '', /pid 3300, could not be read; the chain stops there/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
