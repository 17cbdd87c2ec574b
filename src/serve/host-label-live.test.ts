/**
 * A namespace that calls itself "host" cannot take the host's series. Live: a process in a network
 * namespace of its own (somaxconn 777 there), moved into a cgroup named lxc.payload.host below a
 * directory of this test's own — what a user does with a delegated cgroup, and what LXC does for a
 * container called host. `sockdoc serve` must keep netns="host" for the host's series (its real
 * somaxconn) and give the other its inode: netns="host [INODE]", container="host". The same for a
 * real docker container named `host` (a private dockerd of this test's own, --network none, its
 * own somaxconn by --sysctl).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { httpGet, startServe, stopHard, type Started } from './testing/processes.js';
import { alive, sleep } from '../testing/live.js';
import { dockerMissing, startPrivateDocker, type PrivateDocker } from '../lab/private-docker.js';

const asRoot = process.getuid?.() === 0;

/** A cgroup hierarchy this test may create directories in: v2 (unified), else v1's pids. */
function cgroupRoot(): string | null {
  for (const dir of ['/sys/fs/cgroup', '/sys/fs/cgroup/unified', '/sys/fs/cgroup/pids']) {
    if (existsSync(join(dir, 'cgroup.procs'))) return dir;
  }
  return null;
}

/** The somaxconn series of a scrape, after checking that netns="host" is the host's one series. */
async function hostSeriesAlone(port: number): Promise<string[]> {
  const hostSomaxconn = readFileSync('/proc/sys/net/core/somaxconn', 'latin1').trim();
  const body = (await httpGet({ host: '127.0.0.1', port }, '/metrics', 'GET', 30_000)).body;
  const somaxconn = body.split('\n').filter((l) => l.startsWith('sockdoc_sysctl_net_core_somaxconn{'));
  const hosts = somaxconn.filter((l) => l.includes('netns="host"'));
  assert.equal(hosts.length, 1, somaxconn.join('\n'));
  assert.match(hosts[0], new RegExp(`container=""[^}]*\\} ${hostSomaxconn}$`), "the host's series: the host's own value");
  return somaxconn;
}

const noDocker = !asRoot ? 'needs root' : (dockerMissing() ?? false);

test('a docker container named host leaves the host\'s series alone: it gets netns="host [INODE]", container="host"', { skip: noDocker, timeout: 120_000 }, async () => {
  let docker: PrivateDocker | undefined;
  let serve: (Started & { port: number }) | undefined;
  try {
    docker = startPrivateDocker(`sockdoc-hostlabel-${process.pid}`);
    const pid = docker.run('host', { sysctls: { 'net.core.somaxconn': '778' } }, ['sleep', '120']);
    const inode = statSync(`/proc/${pid}/ns/net`).ino;
    serve = await startServe(['--listen', '127.0.0.1:0']);
    const somaxconn = await hostSeriesAlone(serve.port);
    assert.ok(
      somaxconn.some((l) => l.includes(`netns="host [${inode}]"`) && l.includes('container="host"') && l.endsWith(' 778')),
      `the container named host (netns inode ${inode}) is labelled with its inode:\n${somaxconn.join('\n')}`,
    );
  } finally {
    await stopHard(serve);
    docker?.close();
  }
});

test('a namespace in a cgroup lxc.payload.host leaves the host\'s series alone: it gets netns="host [INODE]"', { skip: asRoot ? false : 'needs root', timeout: 60_000 }, async (t) => {
  const root = cgroupRoot();
  if (!root) return t.skip('no cgroup hierarchy to create a directory in');
  const parent = join(root, `sockdoc-hostlabel-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  const group = join(parent, 'lxc.payload.host');
  // It holds a socket: a namespace with none is read no further than its sockstat (no sysctl series: docs/namespaces.md).
  const holder = "import socket,time; s=socket.socket(socket.AF_UNIX); time.sleep(60)";
  const sleeper = spawn('unshare', ['-n', 'sh', '-c', `sysctl -q -w net.core.somaxconn=777 && exec python3 -c "${holder}"`], { stdio: 'ignore' });
  let serve: (Started & { port: number }) | undefined;
  try {
    mkdirSync(group, { recursive: true });
    for (let i = 0; i < 50 && !readFileSync(`/proc/${sleeper.pid}/cmdline`, 'latin1').startsWith('python3'); i++) await sleep(50);
    try {
      writeFileSync(join(group, 'cgroup.procs'), String(sleeper.pid));
    } catch (err) {
      return t.skip(`cannot move a process into ${group}: ${(err as Error).message}`);
    }
    const inode = statSync(`/proc/${sleeper.pid}/ns/net`).ino;
    serve = await startServe(['--listen', '127.0.0.1:0']);
    const somaxconn = await hostSeriesAlone(serve.port);
    assert.ok(
      somaxconn.some((l) => l.includes(`netns="host [${inode}]"`) && l.includes('container="host"') && l.endsWith(' 777')),
      `the lxc.payload.host namespace (inode ${inode}) is labelled with its inode:\n${somaxconn.join('\n')}`,
    );
  } finally {
    await stopHard(serve);
    if (sleeper.pid && alive(sleeper.pid)) sleeper.kill('SIGKILL');
    await new Promise((r) => (sleeper.exitCode !== null || sleeper.signalCode !== null ? r(null) : sleeper.once('exit', r)));
    for (let i = 0; i < 20; i++) {
      try {
        if (existsSync(group)) rmdirSync(group);
        if (existsSync(parent)) rmdirSync(parent);
        break;
      } catch {
        await sleep(100); // the killed process leaves the cgroup a moment later
      }
    }
  }
});
