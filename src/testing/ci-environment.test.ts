/**
 * On CI (CI=true) every live-kernel test must run: tests skip only when root, supervisord or the
 * native addon are missing, so here those are asserted instead. A CI that lost one of them goes
 * red rather than green-with-skips.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

const onCi = process.env.CI === 'true';

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

test('CI has what the live tests need, so none of them is skipped', { skip: onCi ? false : 'only checked with CI=true' }, () => {
  assert.equal(process.getuid?.(), 0, 'CI must run as root: the live tests create network namespaces');
  // dockerd/docker/containerd/runc (docker.io): the container test; nsenter/setpriv/runuser/unshare/mount
  // (util-linux): namespace and hidepid tests; cc: the seccomp filter of the sock_diag-refused test;
  // nginx, haproxy, redis-server, apache2, socat: the program catalogue's and the forwarders' live tests.
  for (const cmd of ['supervisord', 'supervisorctl', 'ss', 'ip', 'tc', 'prlimit', 'netstat', 'lsof', 'python3', 'prometheus', 'promtool', 'systemd-analyze', 'iptables', 'dockerd', 'docker', 'containerd', 'runc', 'nsenter', 'setpriv', 'runuser', 'cc', 'unshare', 'mkfifo', 'mknod', 'mount', 'tmux', 'pgrep', 'curl', 'nginx', 'haproxy', 'redis-server', 'socat', 'apache2']) {
    assert.ok(onPath(cmd), `${cmd} is missing: .ci/run must install it`);
  }
  assert.ok(existsSync(join(repoRoot, 'native', 'build', 'Release', 'sockdoc_native.node')), 'the native addon was not built');
  // The live pm2 test (src/provenance/fixes-live.test.ts) uses the real pm2, a devDependency that `npm ci` installs.
  assert.ok(existsSync(join(repoRoot, 'node_modules', '.bin', 'pm2')), 'pm2 (devDependency) is missing: npm ci must install devDependencies');
  // The conntrack live test reads a namespace's table: nf_conntrack must be loaded (or built in).
  assert.ok(existsSync('/proc/sys/net/netfilter/nf_conntrack_max'), 'nf_conntrack is not loaded: modprobe nf_conntrack');
  // The dashboard test drives Debian's chromium at this path (playwright-core downloads no browser).
  assert.ok(existsSync('/usr/bin/chromium'), '/usr/bin/chromium is missing: .ci/run must install chromium');
  // `sockdoc port ssh` (src/cli/port-live.test.ts) names ports from /etc/services (netbase).
  assert.ok(existsSync('/etc/services'), '/etc/services is missing: .ci/run must install netbase');
});

test('CI runs the suite beside a host in trouble (scripts/ci/troubled-host.sh, started by .ci/run)', { skip: onCi ? false : 'only checked with CI=true' }, () => {
  assert.equal(process.env.SOCKDOC_TROUBLED_HOST, 'running', '.ci/run must start scripts/ci/troubled-host.sh before npm test');
  const state = process.env.SOCKDOC_TROUBLED_STATE ?? '/tmp/sockdoc-troubled-host';
  const pids = readFileSync(join(state, 'pids'), 'utf8').trim().split('\n').map((l) => Number(l.split(' ')[0]));
  assert.ok(pids.length >= 9, `its peers: ${pids.join(' ')}`);
  for (const pid of pids) assert.ok(existsSync(`/proc/${pid}`), `troubled-host peer ${pid} is gone`);
  assert.ok(existsSync(`/run/netns/${process.env.SOCKDOC_TROUBLED_NETNS ?? 'web'}`), 'its namespace');
});
