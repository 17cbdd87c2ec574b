import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTree } from '../test-tree.js';
import { newContext } from '../context.js';
import { defaultUlimitArg, dockerdFor, flagDefaultUlimit, parseNofileUlimit, unitDefaultUlimit } from './dockerd.js';
import { dockerDefault } from './docker-default.js';

const ID = 'ab'.repeat(32);
const stat = (pid: number, name: string) => `${pid} (${name}) S 1 ${pid} ${pid} 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 100 1000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n`;
const proc = (pid: number, name: string, argv: string[], cgroup = '/system.slice/docker.service') => ({
  [`proc/${pid}/stat`]: stat(pid, name),
  [`proc/${pid}/cmdline`]: argv.map((a) => a + '\0').join(''),
  [`proc/${pid}/cgroup`]: `0::${cgroup}\n`,
});
const UNIT = '[Service]\nEnvironmentFile=-/etc/default/docker\nExecStart=/usr/sbin/dockerd -H fd:// $DOCKER_OPTS\n';

test('--default-ulimit: both spellings, a single value, the last one wins, other names ignored', () => {
  assert.deepEqual(parseNofileUlimit('nofile=4096'), { soft: 4096, hard: 4096 });
  assert.equal(parseNofileUlimit('nofile=2048:1024'), null, 'soft above hard is refused by dockerd');
  assert.equal(parseNofileUlimit('nproc=10:20'), null);
  const hit = defaultUlimitArg(['dockerd', '--default-ulimit=nofile=10:20', '--default-ulimit', 'nproc=1:2', '--default-ulimit', 'nofile=30:40']);
  assert.deepEqual(hit, { soft: 30, hard: 40, index: 4, words: 2 });
});

test('unit only (no dockerd seen): the flag in $DOCKER_OPTS of /etc/default/docker, traced to its line', () => {
  const t = makeTree({ 'lib/systemd/system/docker.service': UNIT, 'etc/default/docker': '# opts\nDOCKER_OPTS="--default-ulimit nofile=2048:4096"\n' });
  try {
    const f = unitDefaultUlimit(newContext(), t.root, 'docker.service');
    assert.deepEqual(f, { soft: 2048, hard: 4096, setting: '--default-ulimit nofile=2048:4096', file: '/etc/default/docker', line: 2, unit: 'docker.service', variable: 'DOCKER_OPTS' });
    const d = dockerDefault(newContext(), t.root, null);
    assert.equal(d?.kind, 'flag');
  } finally {
    t.cleanup();
  }
});

test('a drop-in that clears ExecStart= and sets another wins; an Environment= is overridden by the file', () => {
  const t = makeTree({
    'lib/systemd/system/docker.service': UNIT.replace('[Service]\n', '[Service]\nEnvironment=DOCKER_OPTS=--default-ulimit=nofile=1:1\n'),
    'etc/systemd/system/docker.service.d/10-limits.conf': '[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd --default-ulimit nofile=5000:6000\n',
  });
  try {
    const f = unitDefaultUlimit(newContext(), t.root, 'docker.service');
    assert.equal(f?.file, '/etc/systemd/system/docker.service.d/10-limits.conf');
    assert.equal(f?.line, 3);
    assert.equal(f?.variable, null);
    assert.equal(f?.soft, 5000);
  } finally {
    t.cleanup();
  }
});

test('the dockerd that runs a container is the one whose data root holds it; a stale unit is said', () => {
  const t = makeTree({
    ...proc(100, 'dockerd', ['/usr/sbin/dockerd', '--data-root', '/srv/other']),
    ...proc(200, 'dockerd', ['/usr/sbin/dockerd', '--data-root=/srv/docker', '--default-ulimit', 'nofile=300:400']),
    [`srv/docker/containers/${ID}/hostconfig.json`]: '{}',
    'lib/systemd/system/docker.service': '[Service]\nExecStart=/usr/sbin/dockerd --default-ulimit nofile=500:600\n',
  });
  try {
    const ctx = newContext();
    const d = dockerdFor(ctx, t.root, ID);
    assert.equal(d?.pid, 200);
    assert.equal(d?.dataRoot, '/srv/docker');
    const f = flagDefaultUlimit(ctx, t.root, d);
    assert.equal(f?.soft, 300, 'the running argv is what applies');
    assert.equal(f?.file, null, 'no file writes 300:400');
    assert.equal(f?.stale?.soft, 500, 'the unit now says 500:600');
  } finally {
    t.cleanup();
  }
});

test('dockerd without the flag: daemon.json at --config-file applies', () => {
  const t = makeTree({
    ...proc(100, 'dockerd', ['/usr/sbin/dockerd', '--config-file', '/etc/docker/custom.json']),
    'etc/docker/custom.json': JSON.stringify({ 'default-ulimits': { nofile: { Name: 'nofile', Soft: 7, Hard: 8 } } }),
    'etc/docker/daemon.json': JSON.stringify({ 'default-ulimits': { nofile: { Name: 'nofile', Soft: 1, Hard: 2 } } }),
  });
  try {
    const ctx = newContext();
    const d = dockerDefault(ctx, t.root, dockerdFor(ctx, t.root, ID));
    assert.deepEqual(d, { kind: 'json', soft: 7, hard: 8, file: '/etc/docker/custom.json' });
  } finally {
    t.cleanup();
  }
});
