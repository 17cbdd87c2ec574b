import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError } from './read-file.js';
import { parsePidCgroup, readPidCgroup, systemdCgroupPath, unitOfCgroupPath } from './pid-cgroup.js';
import { procFixture, procTree, loadProcCapture } from '../testing/proc-capture.js';

test('hybrid layout (v1 controllers + name=systemd + unified): a process placed in a service', () => {
  const entries = parsePidCgroup(procFixture('server-cgroup'));
  assert.equal(entries.length, 10);
  assert.deepEqual(entries[0], { hierarchy: 9, controllers: ['name=systemd'], path: '/system.slice/sockdoc-demo.service' });
  assert.deepEqual(entries[9], { hierarchy: 0, controllers: [], path: '/system.slice/sockdoc-demo.service' });
  assert.deepEqual(entries.find((e) => e.hierarchy === 8), { hierarchy: 8, controllers: ['pids'], path: '/' });
  assert.equal(systemdCgroupPath(entries), '/system.slice/sockdoc-demo.service');
  assert.equal(unitOfCgroupPath(systemdCgroupPath(entries)!), 'sockdoc-demo.service');
});

test('pure v2: the single 0:: line gives the path', () => {
  // The unified line of the real capture, alone, is what a v2-only host prints.
  const v2 = procFixture('server-cgroup').split('\n').filter((l) => l.startsWith('0::')).join('\n') + '\n';
  assert.equal(systemdCgroupPath(parsePidCgroup(v2)), '/system.slice/sockdoc-demo.service');
});

test('v1 only: the name=systemd hierarchy gives the path', () => {
  const v1 = procFixture('server-cgroup').split('\n').filter((l) => !l.startsWith('0::')).join('\n');
  assert.equal(systemdCgroupPath(parsePidCgroup(v1)), '/system.slice/sockdoc-demo.service');
});

test('a process in the root cgroup (this machine) has no unit', () => {
  const entries = parsePidCgroup(procFixture('host-cgroup'));
  assert.equal(systemdCgroupPath(entries), '/');
  assert.equal(unitOfCgroupPath('/'), null);
  assert.equal(systemdCgroupPath([]), null);
});

test('unitOfCgroupPath picks the deepest .service or .scope', () => {
  assert.equal(unitOfCgroupPath('/system.slice/docker.service/payload'), 'docker.service');
  assert.equal(unitOfCgroupPath('/user.slice/user-0.slice/session-3.scope'), 'session-3.scope');
  assert.equal(unitOfCgroupPath('/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service'), 'foo.service');
  assert.equal(unitOfCgroupPath('/system.slice'), null);
});

test('a path containing ":" is kept whole', () => {
  assert.equal(parsePidCgroup('0::/a:b/c.service\n')[0].path, '/a:b/c.service');
});

test('malformed lines are a ParseError naming the line', () => {
  for (const [text, line] of [['0::/\ngarbage\n', 2], ['x:cpu:/\n', 1], ['1:cpu\n', 1], ['1:cpu:relative\n', 1]] as const) {
    assert.throws(() => parsePidCgroup(text, 'f'), (e: unknown) => e instanceof ParseError && e.line === line, text);
  }
});

test('readPidCgroup reads the fixture tree and the live host', () => {
  assert.equal(systemdCgroupPath(readPidCgroup(procTree, loadProcCapture().server.pid)), '/system.slice/sockdoc-demo.service');
  assert.ok(readPidCgroup('/', process.pid).length >= 1);
});
