/** readProcesses on the live host: real children with known limits and sockets. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { readProcesses } from './processes.js';
import { repoRoot } from '../testing/paths.js';

const isRoot = process.getuid?.() === 0;

/**
 * The fixture holder (python3): a listener on 127.0.0.1, three clients, two accepted, a UDP socket; it
 * prints its pid and socket inodes from fstat. Not a Node child: Node raises its soft RLIMIT_NOFILE to
 * the hard limit at start-up (seen here with Node 20: prlimit 64:128 -> 128:128).
 */
const HOLDER = join(repoRoot, 'scripts', 'fixtures', 'proc-holder.py');

test('live: a child under prlimit --nofile=64:128 shows its limits, fd count and socket owners', async () => {
  const child = spawn('prlimit', ['--nofile=64:128', 'python3', HOLDER, 'server', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    const held = JSON.parse(line) as { pid: number; sockets: Record<string, number> };
    assert.equal(held.pid, child.pid, 'prlimit execs the program in place');
    const scan = readProcesses('/', { pids: [held.pid] });
    assert.equal(scan.processes.length, 1);
    const p = scan.processes[0];
    assert.equal(p.fds.soft, 64);
    assert.equal(p.fds.hard, 128);
    assert.equal(p.fds.open, readdirSync(`/proc/${held.pid}/fd`).length);
    assert.ok(p.fds.open! >= 3 + 7, 'stdio, 6 TCP ends and a UDP socket at least');
    assert.equal(p.uid, process.getuid?.());
    const sockets = Object.entries(held.sockets);
    assert.equal(sockets.length, 7);
    for (const [fd, inode] of sockets) assert.deepEqual(scan.owners.get(inode), [{ pid: held.pid, fd: Number(fd) }], `fd ${fd}`);
    assert.deepEqual(scan.notes, []);
  } finally {
    child.kill('SIGKILL');
  }
});

test('live: a pid that exited before the scan is skipped without a note', async () => {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  const pid = child.pid!;
  await once(child, 'exit'); // libuv has reaped it: /proc/PID is gone
  const scan = readProcesses('/', { pids: [pid] });
  assert.deepEqual(scan.processes, []);
  assert.equal(scan.owners.size, 0);
  assert.deepEqual(scan.notes, []);
  assert.ok(scan.reports.every((r) => r.status === 'ok'), JSON.stringify(scan.reports));
});

/**
 * The compiled probes copied into `dir` (0755) where nobody can read them (the checkout may sit
 * under /root), laid out as in dist/src: probe/ and the shared constants they import
 * (snapshot/types.js). Returns the probe directory.
 */
function copyProbes(dir: string): string {
  chmodSync(dir, 0o755);
  const here = dirname(fileURLToPath(import.meta.url));
  const probe = join(dir, 'probe');
  mkdirSync(probe, { mode: 0o755 });
  mkdirSync(join(dir, 'snapshot'), { mode: 0o755 });
  for (const f of readdirSync(here)) if (f.endsWith('.js') && !f.endsWith('.test.js')) copyFileSync(join(here, f), join(probe, f));
  copyFileSync(join(here, '..', 'snapshot', 'types.js'), join(dir, 'snapshot', 'types.js'));
  // The leaf module the confined reader decodes host bytes with (safety/host-bytes.js).
  mkdirSync(join(dir, 'safety'), { mode: 0o755 });
  copyFileSync(join(here, '..', 'safety', 'host-bytes.js'), join(dir, 'safety', 'host-bytes.js'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  return probe;
}

test('live, not root: other users\' fds are told in ONE note and a partial report', { skip: isRoot ? false : 'needs root: runs the reader as nobody' }, () => {
  // The compiled probes, copied where nobody can read them (the checkout may sit under /root).
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-nobody-'));
  try {
    chmodSync(dir, 0o755);
    const probe = copyProbes(dir);
    writeFileSync(
      join(probe, 'run.js'),
      `import { readProcesses } from './processes.js';\nconst s = readProcesses('/');\nconsole.log(JSON.stringify({ notes: s.notes, reports: s.reports, n: s.processes.length }));\n`,
    );
    const r = spawnSync(process.execPath, [join(probe, 'run.js')], { uid: 65534, gid: 65534, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr || String(r.error));
    const out = JSON.parse(r.stdout) as { notes: string[]; reports: Array<{ probe: string; status: string; detail?: string }>; n: number };
    // Other users' processes are one note; a non-dumpable process of nobody's own (another test's peer) is another matter.
    const fdNotes = out.notes.filter((n) => /owned by other users/.test(n));
    assert.equal(fdNotes.length, 1, JSON.stringify(out.notes));
    const m = /^The fds of (\d+) process(?:es)? owned by other users could not be read \(run as root to see them\): socket owners and fd counts are missing for them\.$/.exec(fdNotes[0]);
    assert.ok(m, fdNotes[0]);
    assert.ok(Number(m[1]) >= 1 && Number(m[1]) <= out.n);
    // The note about nobody's own non-dumpable processes names its first pid on purpose; no other does.
    const others = out.notes.filter((n) => !/^The kernel refused access to the fds of/.test(n));
    assert.ok(!others.some((n) => /\/proc\/\d+/.test(n)), `no note names a single pid: ${JSON.stringify(out.notes)}`);
    assert.equal(out.reports.find((x) => x.probe === 'pid-fd')?.status, 'partial');
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('live, not root: a zombie of the reader\'s own user is neither refused nor missing, and holds no fds', { skip: isRoot ? false : 'needs root: runs the reader as nobody' }, async () => {
  // nobody's parent forks a child that exits at once and is never reaped: a zombie of nobody's own.
  const parent = spawn('python3', ['-c', 'import os,sys,time\npid=os.fork()\nif pid==0: os._exit(0)\nprint(pid,flush=True)\ntime.sleep(60)'], {
    uid: 65534,
    gid: 65534,
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-zombie-'));
  try {
    const [line] = (await once(createInterface({ input: parent.stdout! }), 'line')) as [string];
    const zombie = Number(line);
    chmodSync(dir, 0o755);
    const probe = copyProbes(dir);
    writeFileSync(
      join(probe, 'run.js'),
      `import { readProcesses } from './processes.js';\nconst s = readProcesses('/', { pids: [${zombie}] });\nconsole.log(JSON.stringify({ notes: s.notes, reports: s.reports, processes: s.processes }));\n`,
    );
    const r = spawnSync(process.execPath, [join(probe, 'run.js')], { uid: 65534, gid: 65534, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr || String(r.error));
    const out = JSON.parse(r.stdout) as { notes: string[]; reports: Array<{ probe: string; status: string }>; processes: Array<{ pid: number; fds: { open: number | null } }> };
    assert.deepEqual(out.notes, [], 'a zombie is not a refusal');
    assert.equal(out.reports.find((x) => x.probe === 'pid-fd')?.status ?? 'ok', 'ok');
    const z = out.processes.find((p) => p.pid === zombie);
    assert.ok(z, `the zombie is listed: ${r.stdout}`);
    assert.equal(z.fds.open, 0, 'a zombie holds no fds');
  } finally {
    try {
      process.kill(-parent.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
    rmSync(dir, { recursive: true });
  }
});
