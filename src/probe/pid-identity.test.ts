import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdentityCache, readProcessIdentity, unitForGrouping } from './pid-identity.js';
import { fixture } from '../testing/paths.js';

test('the unit a cgroup path names, as a person names the service', () => {
  assert.equal(unitForGrouping('/system.slice/billing.service'), 'billing.service');
  assert.equal(unitForGrouping('/system.slice/system-worker.slice/worker@1.service'), 'worker@.service', 'template instances are one service');
  assert.equal(unitForGrouping('/system.slice/docker.service/payload'), 'docker.service', 'a delegated sub-cgroup belongs to its service');
  assert.equal(unitForGrouping('/user.slice/user-1000.slice/user@1000.service/app.slice/sync.service'), 'sync.service', "a user's own service");
  assert.equal(unitForGrouping('/user.slice/user-1000.slice/session-4.scope'), null, 'a login session is not what runs');
  assert.equal(unitForGrouping(`/system.slice/docker-${'ab'.repeat(32)}.scope`), null, "a container's scope: its runtime names it");
  assert.equal(unitForGrouping(`/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podx.slice/cri-containerd-${'cd'.repeat(32)}.scope`), null);
  assert.equal(unitForGrouping('/kubepods/burstable/pod1234/0123456789ab'), null, 'cgroupfs-driver pods too');
  assert.equal(unitForGrouping('/'), null);
  assert.equal(unitForGrouping(null), null);
});

test('identities over a fixture tree: exe as read, unit from the cgroup, a reused pid unknown', () => {
  const root = fixture('identity');
  const id = (pid: number, name: string) => readProcessIdentity(root, pid, name);
  assert.deepEqual(id(4101, 'python3'), { exe: '/usr/bin/python3.11', unit: 'billing.service' });
  assert.deepEqual(id(4102, 'python3'), { exe: '/usr/bin/python3.11', unit: 'reports.service' });
  assert.deepEqual(id(4103, 'node'), { exe: '/usr/bin/node', unit: 'worker@.service' }, 'hybrid layout: the name=systemd hierarchy');
  assert.deepEqual(id(4104, 'node'), { exe: '/usr/bin/node', unit: 'worker@.service' });
  assert.deepEqual(id(4105, 'python3'), { exe: '/usr/local/bin/python3.12', unit: null });
  assert.deepEqual(id(4106, 'python3'), { exe: '/usr/local/bin/python3.12', unit: null });
  assert.deepEqual(id(4107, 'bash'), { exe: '/usr/bin/bash', unit: null }, '" (deleted)" kept off');
  assert.deepEqual(id(4108, 'python3'), { exe: null, unit: null }, 'stat names another process now: nothing is said about it');
  assert.deepEqual(id(4109, 'python3'), { exe: null, unit: 'payroll.service' }, 'no exe link: the unit still tells it');
  assert.deepEqual(id(4999, 'python3'), { exe: null, unit: null }, 'gone');
});

test('live: a child process is its executable, as /proc/PID/exe reads', async (t) => {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await new Promise((r) => child.once('spawn', r));
  const got = readProcessIdentity('/', child.pid!, 'node');
  assert.equal(got.exe, realpathSync(process.execPath));
  assert.deepEqual(readProcessIdentity('/', child.pid!, 'not-node'), { exe: null, unit: null }, 'another name: not the process the snapshot named');
});

test('a cache (one per watch run): a process already read is not read again; a reused pid (other start time) is; bounded by count', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'sockdoc-identity-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  cpSync(fixture('identity'), root, { recursive: true, verbatimSymlinks: true });
  const cache = new IdentityCache(2);
  assert.deepEqual(readProcessIdentity(root, 4101, 'python3', cache), { exe: '/usr/bin/python3.11', unit: 'billing.service' });
  // The link changes under the same process (same pid, same start time): the cache answers, nothing is read again.
  rmSync(join(root, 'proc/4101/exe'));
  symlinkSync('/usr/bin/changed', join(root, 'proc/4101/exe'));
  assert.deepEqual(readProcessIdentity(root, 4101, 'python3', cache), { exe: '/usr/bin/python3.11', unit: 'billing.service' });
  assert.deepEqual(readProcessIdentity(root, 4101, 'python3'), { exe: '/usr/bin/changed', unit: 'billing.service' }, 'without a cache: read');
  // The pid reused by another process of the same name: another start time, read afresh.
  const stat = join(root, 'proc/4101/stat');
  const fields = readFileSync(stat, 'utf8').split(') ');
  const rest = fields[1].split(' ');
  rest[19] = String(Number(rest[19]) + 100); // field 22, starttime
  writeFileSync(stat, `${fields[0]}) ${rest.join(' ')}`);
  assert.deepEqual(readProcessIdentity(root, 4101, 'python3', cache), { exe: '/usr/bin/changed', unit: 'billing.service' });
  readProcessIdentity(root, 4102, 'python3', cache);
  readProcessIdentity(root, 4103, 'node', cache);
  assert.equal(cache.size, 2, 'the oldest entry went');
  assert.deepEqual(readProcessIdentity(root, 4108, 'python3', cache), { exe: null, unit: null }, 'a name that does not match is never cached');
  assert.equal(cache.size, 2);
});
