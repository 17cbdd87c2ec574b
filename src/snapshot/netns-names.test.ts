import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerLabel, dockerDataRoots, nameNetns, nameNetnsWithDoubts, netnsLabel, shortId, type NamingContext } from './netns-names.js';
import type { NetNamespace, ProcessInfo, Snapshot } from './types.js';
import { matchNetns } from './select-netns.js';

const ID = '4dacd5c37193e1f0a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70819';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'sockdoc-names-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
  return root;
}

function proc(pid: number, name: string, cmdline = name): ProcessInfo {
  return { pid, ppid: 1, name, cmdline, uid: 0, user: 'root', fds: { open: 3, soft: 1024, hard: 4096 }, sockets: {}, netns: 5 };
}

function ctx(root: string, processes: ProcessInfo[] = [], named = new Map<number, string[]>()): NamingContext {
  return { root, processes, named };
}

test('labels: short ids, runtimes, pods, netns, the fallback', () => {
  assert.equal(shortId(ID), '4dacd5c37193');
  assert.equal(containerLabel({ runtime: 'docker', id: ID, name: 'web' }), 'docker container web (4dacd5c37193)');
  assert.equal(containerLabel({ runtime: 'docker', id: ID, name: null }), 'docker container 4dacd5c37193');
  assert.equal(containerLabel({ runtime: 'lxc', id: 'db', name: 'db' }), 'LXC container db');
  assert.equal(netnsLabel({ inode: 1, kind: 'netns', name: 'blue' }), 'netns blue');
  assert.equal(netnsLabel({ inode: 1, kind: 'host', name: 'host' }), 'host');
});

test("dockerd's --data-root (either spelling) is where container configs are looked for", () => {
  const roots = dockerDataRoots([proc(9, 'dockerd', 'dockerd --data-root /srv/docker -H unix:///x'), proc(8, 'dockerd', 'dockerd --data-root=/tmp/d2'), proc(7, 'bash', 'bash --data-root /nope')]);
  assert.deepEqual(roots, ['/var/lib/docker', '/srv/docker', '/tmp/d2']);
});

test('docker (cgroupfs and systemd drivers), podman, LXC, nspawn, ip netns and the fallback', () => {
  const root = tree({
    'proc/20/cgroup': `0::/system.slice/docker-${ID}.scope\n`,
    'proc/21/cgroup': `12:pids:/docker/${ID}\n0::/docker/${ID}\n`,
    // The dockerd whose --data-root names them: root's, in its system unit.
    'proc/9/cgroup': '0::/system.slice/docker.service\n',
    [`srv/docker/containers/${ID}/config.v2.json`]: JSON.stringify({ ID, Name: '/web', Config: { Image: 'nginx:1.25' } }),
    'proc/30/cgroup': `0::/machine.slice/libpod-${ID}.scope/container\n`,
    'var/lib/containers/storage/overlay-containers/containers.json': JSON.stringify([{ id: ID, names: ['cache'], image: 'redis' }]),
    'proc/40/cgroup': '0::/lxc.payload.db1/init.scope\n',
    'proc/50/cgroup': '0::/machine.slice/machine-my\\x2dbox.scope/payload\n',
    'proc/60/cgroup': '0::/user.slice\n',
    'proc/70/cgroup': '0::/user.slice\n',
  });
  try {
    const c = ctx(root, [proc(9, 'dockerd', 'dockerd --data-root /srv/docker'), proc(70, 'nginx')], new Map([[6, ['blue']]]));
    for (const pid of [20, 21]) {
      const d = nameNetns(c, 2, [pid], false);
      assert.deepEqual(d, { inode: 2, kind: 'docker', name: 'web', container: { runtime: 'docker', id: ID, name: 'web', image: 'nginx:1.25' } });
    }
    assert.deepEqual(nameNetns(c, 3, [30], false).container, { runtime: 'podman', id: ID, name: 'cache', image: 'redis' });
    assert.equal(nameNetns(c, 4, [40], false).name, 'db1');
    assert.deepEqual(nameNetns(c, 5, [50], false), { inode: 5, kind: 'nspawn', name: 'my-box', container: { runtime: 'nspawn', id: 'my-box', name: 'my-box' } });
    assert.deepEqual(nameNetns(c, 6, [60], false), { inode: 6, kind: 'netns', name: 'blue' });
    assert.deepEqual(nameNetns(c, 7, [70], false), { inode: 7, kind: 'other', name: 'netns 7 (pid 70 nginx)' });
    assert.deepEqual(nameNetns(c, 8, [], false), { inode: 8, kind: 'other', name: 'netns 8' });
    assert.deepEqual(nameNetns(c, 1, [20], true), { inode: 1, kind: 'host', name: 'host' });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a docker config that does not parse, or lies, still names the container by its id', () => {
  const root = tree({ 'proc/20/cgroup': `0::/docker/${ID}\n`, [`var/lib/docker/containers/${ID}/config.v2.json`]: '{"Name": 42' });
  try {
    assert.deepEqual(nameNetns(ctx(root), 2, [20], false), { inode: 2, kind: 'docker', name: '4dacd5c37193', container: { runtime: 'docker', id: ID, name: null, image: null } });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

const OTHER = 'aa'.repeat(32);

test('runtime names are trusted only from the runtime: a delegated cgroup, a user-owned one, a user\'s dockerd name nothing', () => {
  const root = tree({
    // uid 1000's own systemd: anything below user@1000.service is the user's to create.
    'proc/20/cgroup': `0::/user.slice/user-1000.slice/user@1000.service/app.slice/docker-${ID}.scope\n`,
    'proc/21/cgroup': `0::/user.slice/user-1000.slice/user@1000.service/kubepods/pod12345678-1234-1234-1234-123456789012/${ID}\n`,
    'proc/22/cgroup': `0::/user.slice/user-1000.slice/user@1000.service/machine-evil.scope\n`,
    'proc/23/cgroup': `0::/user.slice/user-1000.slice/user@1000.service/lxc.payload.db1\n`,
    // Root's own user manager: root is root.
    'proc/24/cgroup': `0::/user.slice/user-0.slice/user@0.service/docker-${ID}.scope\n`,
    // A real container whose id the user's dockerd also claims.
    'proc/25/cgroup': `0::/system.slice/docker-${OTHER}.scope\n`,
    'proc/9/cgroup': '0::/system.slice/docker.service\n',
    'proc/10/cgroup': '0::/user.slice/user-1000.slice/user@1000.service/app.slice/dockerd.service\n',
    'proc/11/cgroup': '0::/system.slice/docker.service\n',
    [`var/lib/docker/containers/${ID}/config.v2.json`]: JSON.stringify({ ID, Name: '/real-web' }),
    [`home/u/d/containers/${OTHER}/config.v2.json`]: JSON.stringify({ ID: OTHER, Name: '/kube-apiserver' }),
    [`home/u/e/containers/${OTHER}/config.v2.json`]: JSON.stringify({ ID: OTHER, Name: '/kube-apiserver' }),
  });
  try {
    const userDockerd = { ...proc(10, 'dockerd', 'dockerd --data-root /home/u/d'), uid: 1000 };
    const rootInUserTree = proc(10, 'dockerd', 'dockerd --data-root /home/u/d');
    const userUid = { ...proc(11, 'dockerd', 'dockerd --data-root /home/u/e'), uid: 1000 };
    const c = ctx(root, [proc(9, 'dockerd'), userDockerd, userUid]);
    for (const pid of [20, 21, 22, 23]) {
      const { ref, doubts } = nameNetnsWithDoubts(c, 7, [pid], false);
      assert.equal(ref.kind, 'other', `pid ${pid}: ${JSON.stringify(ref)}`);
      assert.equal(ref.name, `netns 7 (pid ${pid})`);
      assert.match(doubts.join(' '), /lies in user@1000\.service, a subtree systemd delegates to uid 1000/, `pid ${pid}`);
    }
    assert.equal(nameNetns(c, 7, [24], false).name, 'real-web', "root's own user manager is root's");
    // The user's dockerd (uid 1000, or root's but in a user's cgroup) is no source of names.
    for (const cc of [c, ctx(root, [proc(9, 'dockerd'), rootInUserTree])]) {
      const { ref } = nameNetnsWithDoubts(cc, 8, [25], false);
      assert.deepEqual(ref, { inode: 8, kind: 'docker', name: 'aaaaaaaaaaaa', container: { runtime: 'docker', id: OTHER, name: null, image: null } });
    }
    // Before this check, the same tree named them: the data roots the naming no longer reads.
    assert.deepEqual(dockerDataRoots(c.processes), ['/var/lib/docker', '/home/u/d', '/home/u/e']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('cgroup ownership recorded by a capture: a directory a user owns, or one others can write, names no container', () => {
  const rec = (lines: Array<[number, string, string]>) => lines.map(([uid, mode, key]) => `${uid}\t${mode}\t${key}`).join('\n') + '\n';
  const root = tree({
    'proc/20/cgroup': `0::/delegated/docker/${ID}\n`,
    'proc/21/cgroup': `0::/open/docker/${ID}\n`,
    'proc/22/cgroup': `0::/system.slice/docker-${ID}.scope\n`,
    'proc/23/cgroup': `0::/unrecorded/docker/${ID}\n`,
    [`var/lib/docker/containers/${ID}/config.v2.json`]: JSON.stringify({ ID, Name: '/web' }),
    'sockdoc-cgroup-owners': rec([
      [0, '755', '0::/'],
      [1000, '755', '0::/delegated'],
      [1000, '755', '0::/delegated/docker'],
      [1000, '755', `0::/delegated/docker/${ID}`],
      [0, '777', '0::/open'],
      [0, '755', '0::/open/docker'],
      [0, '755', `0::/open/docker/${ID}`],
      [0, '755', '0::/system.slice'],
      [0, '755', `0::/system.slice/docker-${ID}.scope`],
    ]),
  });
  try {
    const c = ctx(root);
    assert.match(nameNetnsWithDoubts(c, 2, [20], false).doubts.join(' '), /the cgroup directory \/delegated belongs to uid 1000/);
    assert.match(nameNetnsWithDoubts(c, 2, [21], false).doubts.join(' '), /the cgroup directory \/open is writable by everyone/);
    assert.match(nameNetnsWithDoubts(c, 2, [23], false).doubts.join(' '), /the owner of the cgroup directory \/unrecorded could not be read/);
    for (const pid of [20, 21, 23]) assert.equal(nameNetns(c, 2, [pid], false).kind, 'other');
    assert.equal(nameNetns(c, 2, [22], false).name, 'web');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('no namespace but the host is named like it: a docker container, an LXC cgroup, an ip netns called host get their inode', () => {
  const root = tree({
    'proc/20/cgroup': `0::/system.slice/docker-${ID}.scope\n`,
    [`var/lib/docker/containers/${ID}/config.v2.json`]: JSON.stringify({ ID, Name: '/host', Config: { Image: 'x' } }),
    'proc/40/cgroup': '0::/user.slice/user-1000.slice/lxc.payload.host/init.scope\n',
    'proc/41/cgroup': '0::/lxc.payload.HOST\n',
    'proc/60/cgroup': '0::/user.slice\n',
  });
  try {
    const c = ctx(root, [], new Map([[6, ['host']], [7, [' host ']]]));
    const docker = nameNetns(c, 2, [20], false);
    assert.equal(docker.name, 'host [2]');
    assert.equal(docker.container?.name, 'host', 'the container keeps its own name (--container host finds it)');
    assert.equal(netnsLabel(docker), `docker container host (${ID.slice(0, 12)})`);
    assert.equal(nameNetns(c, 4, [40], false).name, 'host [4]');
    assert.equal(nameNetns(c, 5, [41], false).name, 'HOST [5]');
    assert.equal(nameNetns(c, 6, [60], false).name, 'host [6]');
    assert.equal(nameNetns(c, 7, [60], false).name, ' host  [7]');
    assert.deepEqual(nameNetns(c, 1, [20], true), { inode: 1, kind: 'host', name: 'host' });
    // --netns host is the host's namespace; --container host the container.
    const ns = (ref: ReturnType<typeof nameNetns>) => ({ ...ref, pids: [], socketSource: 'sock_diag', tunables: {}, counters: { values: {}, deltas: null, intervalMs: 0 }, listenerCount: 0, partial: false, notes: [] }) as unknown as NetNamespace;
    const snap = { namespaces: [ns(nameNetns(c, 1, [], true)), ns(docker), ns(nameNetns(c, 6, [60], false))], processes: [] } as unknown as Snapshot;
    assert.deepEqual(matchNetns(snap, { netns: 'host' }).map((n) => n.inode), [1]);
    assert.deepEqual(matchNetns(snap, { container: 'host' }).map((n) => n.inode), [2]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
