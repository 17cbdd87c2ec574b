/**
 * Runtime names trusted only from the runtime (issue 18), live: a real non-root user (uid 65534)
 * with a cgroup subtree delegated to it (user@65534.service, chowned as systemd's Delegate= does)
 * makes `docker-<ID of a container root's dockerd knows>.scope` there and puts a process of its own
 * network namespace in it; and runs its own "dockerd" (comm dockerd, --data-root in a directory it
 * owns) whose config.v2.json names a real container "kube-apiserver". The snapshot, `limits` and a
 * capture replayed with --root name neither: the user's namespace by inode with the doubt said, the
 * real container by its id; root's own container keeps its name (the control); `--container` with
 * the claimed names selects nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSnapshot } from './build.js';
import { parseCgroupMounts } from '../probe/cgroup-owners.js';
import { cliPath } from '../testing/paths.js';

const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;
const READY = 'import sys; print("ready", flush=True); sys.stdin.read()';

const rand = () => Array.from({ length: 64 }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');

function cgroup2Mount(): string | null {
  return parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'latin1')).get('') ?? null;
}

const inodeOf = (pid: number) => Number(/\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/net`))?.[1]);

test('live: a user\'s fake docker scope in its delegated cgroup and its own fake dockerd name no container (snapshot, limits, capture)', { skip: isRoot && cgroup2Mount() ? false : 'needs root and a cgroup2 hierarchy' }, async (t) => {
  const mount = cgroup2Mount() as string;
  const tag = `sockdoc-trust-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const cg = join(mount, tag);
  const deleg = join(cg, 'user.slice', 'user-65534.slice', 'user@65534.service');
  const [fakeId, realId, otherId] = [rand(), rand(), rand()];
  const top = mkdtempSync(join(tmpdir(), 'sockdoc-trust-'));
  chmodSync(top, 0o755);
  const children: ChildProcess[] = [];
  const made: string[] = []; // cgroups to remove, deepest last
  const mk = (dir: string) => {
    mkdirSync(dir, { recursive: true });
    made.push(dir);
  };
  const into = (dir: string, pid: number) => writeFileSync(join(dir, 'cgroup.procs'), String(pid));
  const out = new Map<ChildProcess, string>();
  /** Resolves once the child has printed `word` on a line (its output is kept whole: chunks may split or join lines). */
  const said = (c: ChildProcess, word: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => (out.get(c) ?? '').split('\n').includes(word) && (resolve(), true);
      if (check()) return;
      const onData = () => check() && c.stdout!.off('data', onData);
      c.stdout!.on('data', onData);
      c.once('exit', (code) => reject(new Error(`${c.spawnargs.join(' ').slice(0, 80)} exited (${code}) before saying ${word}: ${out.get(c)}`)));
    });
  const start = async (argv: string[], opts: { uid?: number } = {}) => {
    const c = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'], ...(opts.uid ? { uid: opts.uid, gid: opts.uid } : {}) });
    children.push(c);
    out.set(c, '');
    c.stdout!.on('data', (d: Buffer) => out.set(c, (out.get(c) ?? '') + d.toString()));
    await said(c, 'ready');
    return c;
  };
  try {
    // Root's dockerd (a stand-in named dockerd, in root's system unit) and what it knows.
    for (const [id, name] of [[fakeId, 'real-web'], [realId, 'real-api']]) {
      mkdirSync(join(top, 'rootdocker', 'containers', id), { recursive: true });
      writeFileSync(join(top, 'rootdocker', 'containers', id, 'config.v2.json'), JSON.stringify({ ID: id, Name: `/${name}`, Config: { Image: 'x' } }));
    }
    mkdirSync(join(top, 'rootbin'));
    symlinkSync('/usr/bin/python3', join(top, 'rootbin', 'dockerd'));
    // The user's: its own directory, its own "dockerd".
    const home = join(top, 'home');
    mkdirSync(join(home, 'd', 'containers', otherId), { recursive: true });
    writeFileSync(join(home, 'd', 'containers', otherId, 'config.v2.json'), JSON.stringify({ ID: otherId, Name: '/kube-apiserver', Config: { Image: 'k8s' } }));
    mkdirSync(join(home, 'bin'));
    symlinkSync('/usr/bin/python3', join(home, 'bin', 'dockerd'));
    spawnSync('chown', ['-R', `${NOBODY}:${NOBODY}`, home]);

    mk(join(cg, 'system.slice', 'docker.service'));
    mk(join(cg, 'system.slice', `docker-${realId}.scope`));
    mk(join(cg, 'system.slice', `docker-${otherId}.scope`));
    mk(deleg);
    // systemd's Delegate=: the directory and the files that let its owner create and move.
    for (const f of ['', 'cgroup.procs', 'cgroup.threads', 'cgroup.subtree_control']) chownSync(join(deleg, f), NOBODY, NOBODY);

    const rootDockerd = await start([join(top, 'rootbin', 'dockerd'), '-c', READY, '--data-root', join(top, 'rootdocker')]);
    into(join(cg, 'system.slice', 'docker.service'), rootDockerd.pid as number);
    const realC = await start(['unshare', '-n', 'python3', '-c', READY]);
    into(join(cg, 'system.slice', `docker-${realId}.scope`), realC.pid as number);
    const otherC = await start(['unshare', '-n', 'python3', '-c', READY]);
    into(join(cg, 'system.slice', `docker-${otherId}.scope`), otherC.pid as number);
    // The user: a process of its own in a network namespace of its own (made here by root, as a user
    // could with a user namespace, which not every host allows), moved by "systemd" into its
    // delegated subtree, where it makes the fake scope and moves itself in, as uid 65534.
    const script = `import os, sys\nprint("ready", flush=True)\nsys.stdin.readline()\nd = ${JSON.stringify(join(deleg, 'app.slice', `docker-${fakeId}.scope`))}\nos.makedirs(d)\nopen(d + "/cgroup.procs", "w").write(str(os.getpid()))\nprint("moved", flush=True)\nsys.stdin.read()`;
    const asNobody = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '/usr/bin/python3', '-c'];
    const fake = await start(['unshare', '-n', ...asNobody, script]);
    into(deleg, fake.pid as number);
    fake.stdin!.write('go\n');
    await said(fake, 'moved');
    made.splice(made.indexOf(deleg) + 1, 0, join(deleg, 'app.slice'), join(deleg, 'app.slice', `docker-${fakeId}.scope`));
    assert.match(readFileSync(`/proc/${fake.pid}/cgroup`, 'latin1'), new RegExp(`user@65534\\.service/app\\.slice/docker-${fakeId}\\.scope`));
    assert.match(readFileSync(`/proc/${fake.pid}/status`, 'latin1'), /^Uid:\t65534\t/m, 'the fake scope was made by uid 65534');
    // A subtree handed to the user some other way (no user@UID.service in its path): its ownership says it.
    const tenant = join(cg, 'tenants', 'bob');
    mk(tenant);
    for (const f of ['', 'cgroup.procs', 'cgroup.threads', 'cgroup.subtree_control']) chownSync(join(tenant, f), NOBODY, NOBODY);
    const script2 = script.replace(JSON.stringify(join(deleg, 'app.slice', `docker-${fakeId}.scope`)), JSON.stringify(join(tenant, 'docker', realId)));
    const fake2 = await start(['unshare', '-n', ...asNobody, script2]);
    into(tenant, fake2.pid as number);
    fake2.stdin!.write('go\n');
    await said(fake2, 'moved');
    made.splice(made.indexOf(tenant) + 1, 0, join(tenant, 'docker'), join(tenant, 'docker', realId));
    const userDockerd = await start([join(home, 'bin', 'dockerd'), '-c', READY, '--data-root', join(home, 'd')], { uid: NOBODY });
    into(deleg, userDockerd.pid as number);
    assert.equal(readFileSync(`/proc/${userDockerd.pid}/comm`, 'latin1').trim(), 'dockerd');

    const pids = children.map((c) => c.pid as number);
    const snap = await buildSnapshot({ root: '/', intervalMs: 0, pids });
    const ns = (pid: number) => snap.namespaces.find((n) => n.inode === inodeOf(pid));
    t.diagnostic(JSON.stringify(snap.namespaces.filter((n) => pids.some((p) => inodeOf(p) === n.inode)).map((n) => ({ name: n.name, kind: n.kind, notes: n.notes }))));
    // The control: root's container, in root's cgroup, named from root's dockerd.
    assert.equal(ns(realC.pid as number)?.name, 'real-api');
    // The user's fake scope: by inode, and why.
    const f = ns(fake.pid as number);
    assert.equal(f?.kind, 'other');
    assert.doesNotMatch(f?.name ?? '', /real-web/);
    assert.match(f?.notes.join(' ') ?? '', /looks like docker container .*but it lies in user@65534\.service/);
    // The same by ownership alone: /docker/<ID of root's real container> in a directory the user owns.
    const f2 = ns(fake2.pid as number);
    assert.equal(f2?.kind, 'other');
    assert.match(f2?.notes.join(' ') ?? '', new RegExp(`the cgroup directory /${tag}/tenants/bob belongs to uid 65534`));
    // The real container the user's dockerd claims: its id, never the user's name for it.
    const o = ns(otherC.pid as number);
    assert.equal(o?.kind, 'docker');
    assert.equal(o?.name, otherId.slice(0, 12));
    assert.match(o?.notes.join(' ') ?? '', new RegExp(`claims to name docker container ${otherId.slice(0, 12)}, but dockerd \\(pid ${userDockerd.pid}\\) runs as uid 65534`));
    assert.ok(!JSON.stringify(snap.namespaces).includes('kube-apiserver'));

    // A filter resolves names before any socket is read (snapshot/netns-plan.ts) by the same rules:
    // the names the user's scope and dockerd claim select nothing; root's container selects its own.
    const scoped = await buildSnapshot({ root: '/', intervalMs: 0, pids, scope: { container: 'real-api' } });
    assert.deepEqual(scoped.namespaces.map((n) => n.inode), [inodeOf(realC.pid as number)]);
    for (const claimed of ['real-web', 'kube-apiserver']) {
      await assert.rejects(buildSnapshot({ root: '/', intervalMs: 0, pids, scope: { container: claimed } }), (err: Error) => err.name === 'NetnsScopeError', claimed);
    }

    // limits: no container fix for the user's process.
    const lim = spawnSync(process.execPath, [cliPath, 'limits', String(fake.pid)], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(lim.status, 0, lim.stderr);
    assert.doesNotMatch(lim.stdout, /runs in the docker container|Recreate the container|docker run --ulimit/);
    assert.match(lim.stdout.replace(/\s+/g, ' '), /looks like docker container \w+, but it lies in user@65534\.service/);

    // A capture, replayed: the same names (ownership is recorded; the user's config is not copied).
    const dir = join(top, 'cap');
    const cap = spawnSync(process.execPath, [cliPath, 'capture', dir, '--pid', pids.join(',')], { encoding: 'utf8', timeout: 120_000 });
    assert.ok(cap.status === 0 || cap.status === 1, cap.stderr);
    assert.ok(existsSync(join(dir, 'sockdoc-cgroup-owners')));
    assert.ok(!existsSync(join(dir, 'var/lib/docker/containers', otherId)), "the user's config is not copied");
    const back = await buildSnapshot({ root: dir, intervalMs: 0 });
    const bn = (pid: number) => back.namespaces.find((n) => n.inode === inodeOf(pid));
    assert.equal(bn(realC.pid as number)?.name, 'real-api');
    assert.equal(bn(fake.pid as number)?.kind, 'other');
    assert.equal(bn(fake2.pid as number)?.kind, 'other');
    assert.equal(bn(otherC.pid as number)?.name, otherId.slice(0, 12));
  } finally {
    for (const c of children) c.kill('SIGKILL');
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? once(c, 'exit') : null)));
    for (const dir of made.reverse()) {
      for (let up = dir; up.startsWith(cg); up = join(up, '..')) {
        try {
          rmdirSync(up);
        } catch {
          break; // still has children (removed on their turn) or already gone
        }
      }
    }
    try {
      rmdirSync(cg);
    } catch {
      // removed above
    }
    rmSync(top, { recursive: true, force: true });
  }
  assert.ok(!existsSync(cg), `${cg} removed`);
});
