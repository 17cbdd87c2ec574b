/** The native fd walk (native/fdwalk.c) and the JavaScript one must give the same scan. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { walkFds, type FdWalk } from './fd-walk.js';
import { ADDON_PATH, nativeFdWalker } from './native.js';
import { readProcesses, readProcessesWhile, type ProcessScan } from './processes.js';
import { loadProcCapture, procTree } from '../testing/proc-capture.js';
import { repoRoot } from '../testing/paths.js';
import { openBpfFdLink } from './bpf-fd-link.js';
import { WALK_KINDS } from './fd-kinds.js';
import { readPidUserns } from './pid-inotify.js';
import { buildSnapshot } from '../snapshot/build.js';

const c = loadProcCapture();
const isRoot = process.getuid?.() === 0;

/** A scan without the timings, which differ from run to run. */
function timeless(scan: ProcessScan) {
  return { ...scan, owners: new Map(scan.owners), reports: scan.reports.map((r) => ({ ...r, ms: 0 })) };
}

/** timeless, without what a live process changes from one moment to the next: its scheduling state (R, S, D). */
function settled(scan: ProcessScan) {
  const t = timeless(scan);
  return { ...t, processes: t.processes.map(({ state: _state, ...p }) => p) };
}

/** A walk in plain values: error codes instead of Error objects, sockets, kinds and inotify fds as arrays. */
function plain(walk: FdWalk) {
  return { counts: walk.counts, denied: walk.denied, errors: walk.errors.map((e) => e?.code ?? null), sockets: Array.from(walk.sockets), kinds: Array.from(walk.kinds ?? []), inotify: Array.from(walk.inotify) };
}

test('the addon is built and has the fd walk (npm run build builds it; CI must not test the fallback only)', () => {
  assert.ok(nativeFdWalker(), `${ADDON_PATH} loads and exports fdWalk`);
  assert.equal(nativeFdWalker('/nonexistent/sockdoc_native.node'), null);
});

test('fixture tree: walkFds native and JavaScript agree pid by pid, missing and absent pids included', () => {
  const pids = readdirSync(join(procTree, 'proc')).map(Number).concat([999999999]).sort((a, b) => a - b);
  const native = walkFds(procTree, pids, 'native');
  const js = walkFds(procTree, pids, 'js');
  assert.equal(native.source, 'native');
  assert.equal(js.source, 'js');
  assert.deepEqual(plain(native), plain(js));
  const nofd = pids.indexOf(c.nofd);
  assert.equal(native.errors[nofd]?.code, 'ENOENT');
  assert.equal(native.errors[nofd]?.path, join(procTree, 'proc', String(c.nofd), 'fd'));
  // 7 sockets of the server, fd ascending although the fixture directory lists in hash order.
  const server = Array.from(native.sockets).reduce<number[]>((fds, v, i, a) => (i % 3 === 0 && v === c.server.pid ? [...fds, a[i + 1]] : fds), []);
  assert.deepEqual(server, Object.keys(c.server.sockets).map(Number).sort((a, b) => a - b));
});

test('fixture tree: readProcesses gives the same scan with either walk, and readProcessesWhile too', async () => {
  const js = timeless(readProcesses(procTree, { fdWalk: 'js' }));
  assert.deepEqual(timeless(readProcesses(procTree, { fdWalk: 'native' })), js);
  const both = await readProcessesWhile(procTree, { fdWalk: 'native' }, () => 'meanwhile');
  assert.equal(both.value, 'meanwhile');
  assert.deepEqual(timeless(both.scan), js);
  const fallback = await readProcessesWhile(procTree, { fdWalk: 'js' }, () => 7);
  assert.equal(fallback.value, 7);
  assert.deepEqual(timeless(fallback.scan), js);
  assert.equal(js.notes.length, 3, 'the fixture has a missing fd directory, a bad stat, a missing limit');
});

test('live: a child holding sockets, and another user\'s process, scan the same with either walk', { skip: isRoot ? false : 'needs root: reads another user\'s process' }, async () => {
  const holder = join(repoRoot, 'scripts', 'fixtures', 'proc-holder.py');
  const child = spawn('python3', [holder, 'server', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  // The holder is copied where nobody can read it (the checkout may sit under /root).
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-fdwalk-other-'));
  chmodSync(dir, 0o755);
  copyFileSync(holder, join(dir, 'proc-holder.py'));
  // The system interpreter: a per-user one (pyenv under /root) is not runnable by nobody.
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const other = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', python, join(dir, 'proc-holder.py'), 'plain'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const otherExit = once(other, 'exit').then(([code]) => Promise.reject(new Error(`the holder run as nobody exited (${code})`)));
  otherExit.catch(() => undefined);
  try {
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    const held = JSON.parse(line) as { pid: number; sockets: Record<string, number> };
    const [otherLine] = (await Promise.race([once(createInterface({ input: other.stdout! }), 'line'), otherExit])) as [string];
    const nobodys = JSON.parse(otherLine) as { pid: number; sockets: Record<string, number> };
    // Processes whose fds stay as they are until killed. Not this process (it opens and closes fds
    // while it scans), nor pid 1 (the machine's agent opens one per command it runs): a count that
    // moves between the walks compared made this test fail by chance.
    const opts = { pids: [held.pid, nobodys.pid].sort((x, y) => x - y) };
    // Their state letter is not compared: a holder answering a signal or its interpreter's timer is R for a moment.
    const js = settled(readProcesses('/', { ...opts, fdWalk: 'js' }));
    assert.deepEqual(settled(readProcesses('/', { ...opts, fdWalk: 'native' })), js);
    assert.deepEqual(settled((await readProcessesWhile('/', { ...opts, fdWalk: 'native' }, () => 0)).scan), js);
    for (const [fd, inode] of Object.entries(held.sockets)) assert.deepEqual(js.owners.get(inode), [{ pid: held.pid, fd: Number(fd) }]);
    assert.equal(js.processes.find((p) => p.pid === held.pid)?.fds.open, readdirSync(`/proc/${held.pid}/fd`).length);
    const theirs = js.processes.find((p) => p.pid === nobodys.pid);
    assert.equal(theirs?.uid, 65534, "nobody's process is read too");
    for (const [fd, inode] of Object.entries(nobodys.sockets)) assert.deepEqual(js.owners.get(inode), [{ pid: nobodys.pid, fd: Number(fd) }]);
  } finally {
    child.kill('SIGKILL');
    other.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('live, as nobody: directories of other users are denied alike by both walks', { skip: isRoot ? false : 'needs root: runs the walk as nobody' }, () => {
  // The compiled probes and the addon, copied with their relative layout where nobody can read them.
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-fdwalk-'));
  try {
    chmodSync(dir, 0o755);
    const here = dirname(fileURLToPath(import.meta.url));
    const probe = join(dir, 'dist', 'src', 'probe');
    const release = join(dir, 'native', 'build', 'Release');
    mkdirSync(probe, { recursive: true });
    mkdirSync(release, { recursive: true });
    for (const f of readdirSync(here)) if (f.endsWith('.js') && !f.endsWith('.test.js')) copyFileSync(join(here, f), join(probe, f));
    // The shared constants the walk names kinds by (snapshot/types.js, a leaf module).
    mkdirSync(join(dir, 'dist', 'src', 'snapshot'));
    copyFileSync(join(here, '..', 'snapshot', 'types.js'), join(dir, 'dist', 'src', 'snapshot', 'types.js'));
    chmodSync(join(dir, 'dist', 'src', 'snapshot'), 0o755);
    // The leaf module the confined reader decodes host bytes with (safety/host-bytes.js).
    mkdirSync(join(dir, 'dist', 'src', 'safety'));
    copyFileSync(join(here, '..', 'safety', 'host-bytes.js'), join(dir, 'dist', 'src', 'safety', 'host-bytes.js'));
    chmodSync(join(dir, 'dist', 'src', 'safety'), 0o755);
    copyFileSync(ADDON_PATH, join(release, 'sockdoc_native.node'));
    for (const d of [join(dir, 'dist'), join(dir, 'dist', 'src'), probe, join(dir, 'native'), join(dir, 'native', 'build'), release]) chmodSync(d, 0o755);
    writeFileSync(join(probe, 'package.json'), '{"type":"module"}');
    writeFileSync(
      join(probe, 'run.js'),
      `import { readdirSync } from 'node:fs';
import { walkFds } from './fd-walk.js';
const pids = readdirSync('/proc').filter((n) => /^\\d+$/.test(n)).map(Number).filter((p) => p !== process.pid).sort((a, b) => a - b);
const plain = (w) => ({ counts: w.counts, denied: w.denied, errors: w.errors.map((e) => e?.code ?? null) });
console.log(JSON.stringify({ native: plain(walkFds('/', pids, 'native')), js: plain(walkFds('/', pids, 'js')) }));
`,
    );
    const r = spawnSync(process.execPath, [join(probe, 'run.js')], { uid: 65534, gid: 65534, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr || String(r.error));
    const out = JSON.parse(r.stdout) as { native: ReturnType<typeof plain>; js: ReturnType<typeof plain> };
    assert.ok(out.js.denied.filter(Boolean).length >= 1, 'at least pid 1 (root) is denied to nobody');
    // Processes may start or exit between the two walks: compare the pids both saw alive.
    for (let i = 0; i < out.js.counts.length; i++) {
      if (out.js.errors[i] || out.native.errors[i]) continue;
      assert.equal(out.native.denied[i], out.js.denied[i], `pid #${i} denied`);
      if (out.js.denied[i]) assert.equal(out.native.counts[i], out.js.counts[i], `pid #${i} count`);
    }
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('live: every fd kind, told alike by the JavaScript walk, the native one and the BPF iterator; inotify watches; sockets by family', { skip: isRoot ? false : 'needs root: the BPF iterator' }, async () => {
  const holder = join(repoRoot, 'scripts', 'fixtures', 'proc-holder.py');
  const child = spawn('python3', [holder, 'kinds'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const { link, error } = openBpfFdLink();
  try {
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    const held = JSON.parse(line) as { pid: number; kinds: Record<string, number>; inotify: { fds: number[]; watches: number } };
    const pids = [held.pid];
    const js = walkFds('/', pids, 'js');
    const native = walkFds('/', pids, 'native', 'off');
    const kindsOf = (w: FdWalk) => Object.fromEntries(WALK_KINDS.map((k, i) => [k, w.kinds?.[i] ?? -1]).filter(([, n]) => n !== 0));
    assert.deepEqual(kindsOf(native), kindsOf(js), 'native = JavaScript');
    assert.deepEqual(Array.from(native.inotify), Array.from(js.inotify));
    assert.ok(link, `the BPF iterator loads as root: ${error}`);
    const bpf = walkFds('/', pids, 'native', link);
    assert.equal(bpf.source, 'bpf');
    assert.deepEqual(kindsOf(bpf), kindsOf(js), 'BPF iterator = readlink walk');
    assert.deepEqual(Array.from(bpf.inotify), Array.from(js.inotify));
    // The kinds only the holder made (its stdio adds pipes, files and devices of its own).
    const k = kindsOf(js);
    for (const kind of ['eventpoll', 'eventfd', 'timerfd', 'signalfd', 'inotify', 'pidfd'] as const) assert.equal(k[kind], held.kinds[kind], kind);
    assert.ok(k.file >= held.kinds.file, 'a file, a directory, a memfd and a /dev/shm file are files, not devices');
    assert.deepEqual(Array.from(js.inotify), held.inotify.fds.flatMap((fd) => [held.pid, fd]));
    // The scan reads the watches; the snapshot names each socket's family.
    const scan = readProcesses('/', { pids, fdWalk: 'native', bpf: link });
    assert.deepEqual(scan.processes[0].inotify, { instances: 2, watches: held.inotify.watches, userns: readPidUserns('/', held.pid) });
    const snap = await buildSnapshot({ pids, intervalMs: 0 });
    const kinds = snap.processes.find((p) => p.pid === held.pid)?.fdKinds ?? {};
    for (const kind of ['tcp', 'udp', 'netlink'] as const) assert.equal(kinds[kind], held.kinds[kind], kind);
    assert.ok((kinds.unix ?? 0) >= 1, 'its unix socket (stdio may add more)');
    assert.equal(kinds.socket, undefined, 'every socket named by its family');
    assert.equal(Object.values(kinds).reduce((a, b) => a + (b ?? 0), 0), snap.processes.find((p) => p.pid === held.pid)?.fds.open, 'the kinds add up to the open fds');
  } finally {
    link?.close();
    child.kill('SIGKILL');
  }
});
