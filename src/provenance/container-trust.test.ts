import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture } from '../testing/paths.js';
import { run as limits } from '../cli/limits.js';
import type { Io } from '../cli/io.js';
import { cgroupDoubt, delegatedUid } from './container-trust.js';
import { parseCgroupMounts, parseCgroupOwners } from '../probe/cgroup-owners.js';

test('delegatedUid: user@UID.service of a user other than root', () => {
  assert.equal(delegatedUid('/user.slice/user-1000.slice/user@1000.service/app.slice/x.scope'), 1000);
  assert.equal(delegatedUid('/user.slice/user-0.slice/user@0.service/x'), null);
  assert.equal(delegatedUid('/user.slice/user-1000.slice/session-3.scope'), null, "a session scope is logind's, not delegated");
  assert.equal(delegatedUid('/system.slice/docker-aa.scope'), null);
});

test('cgroup mounts from mountinfo: cgroup2 and each v1 hierarchy by its controllers', () => {
  const m = parseCgroupMounts([
    '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
    '32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct',
    '40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd',
    '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate',
    '50 31 0:38 /docker/x /mnt/bind rw,relatime - cgroup2 cgroup2 rw',
  ].join('\n'));
  assert.deepEqual([...m], [['cpu,cpuacct', '/sys/fs/cgroup/cpu,cpuacct'], ['name=systemd', '/sys/fs/cgroup/systemd'], ['', '/sys/fs/cgroup/unified']]);
  assert.equal(parseCgroupOwners('0\t755\t0::/\nbad line\n1000\t755\t0::/x\n').get('0::/x')?.uid, 1000);
});

test('cgroupDoubt: every directory from the root down must be root\'s and not writable by others', () => {
  const reader = { recorded: true, owner: () => ({ uid: 0, mode: 0o755 }) };
  assert.equal(cgroupDoubt(reader, { hierarchy: 0, controllers: [], path: '/a/b' }), null);
  const user = { recorded: true, owner: (_e: unknown, p: string) => ({ uid: p === '/a' ? 65534 : 0, mode: 0o755 }) };
  assert.match(cgroupDoubt(user, { hierarchy: 0, controllers: [], path: '/a/b' }) ?? '', /the cgroup directory \/a belongs to uid 65534/);
});

async function runLimits(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {}, isTTY: false, stderrIsTTY: false, columns: 100 };
  const code = await limits(args, io);
  return { code, stdout, stderr };
}

test('limits: a process in a user\'s docker-<ID>.scope (delegated subtree) is not told to recreate a container', async () => {
  const root = mkdtempSync(join(tmpdir(), 'sockdoc-trust-'));
  try {
    cpSync(fixture('limits', 'container'), root, { recursive: true });
    const id = '5e0b6c8f1d2a' + 'a'.repeat(52);
    writeFileSync(join(root, 'proc/2301/cgroup'), `0::/user.slice/user-1000.slice/user@1000.service/app.slice/docker-${id}.scope\n`);
    const r = await runLimits(['2301', '--root', root]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /runs in the docker container|Recreate the container|docker run --ulimit/);
    assert.match(r.stdout.replace(/\s+/g, ' '), /its cgroup \/user\.slice\/user-1000\.slice\/user@1000\.service\/app\.slice\/docker-5e0b6c8f1d2a\S* looks like docker container 5e0b6c8f1d2a, but it lies in user@1000\.service/);
    // The fixture as it was: a real container, still named.
    const real = await runLimits(['2301', '--root', fixture('limits', 'container')]);
    assert.match(real.stdout, /docker container 5e0b6c8f1d2a/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
