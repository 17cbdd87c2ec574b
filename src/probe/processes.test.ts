import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isKernelThread, readProcesses } from './processes.js';
import { loadProcCapture, procTree } from '../testing/proc-capture.js';

const c = loadProcCapture();

function byPid(scan: ReturnType<typeof readProcesses>, pid: number) {
  const p = scan.processes.find((x) => x.pid === pid);
  assert.ok(p, `pid ${pid} listed`);
  return p;
}

test('fixture tree: user processes listed, kernel threads and the unreadable stat left out', () => {
  const scan = readProcesses(procTree);
  assert.deepEqual(
    scan.processes.map((p) => p.pid),
    [c.server.pid, c.comm.pid, c.nobody.pid, c.nofd, c.nolimit].sort((a, b) => a - b),
  );
  for (const p of scan.processes) assert.deepEqual(p.sockets, {});
});

test('fixture tree: the server process with its limits, owner and fd count', () => {
  const server = byPid(readProcesses(procTree), c.server.pid);
  assert.equal(server.name, 'python3');
  assert.equal(server.uid, 0);
  assert.equal(server.user, 'root');
  assert.match(server.cmdline, /^\/usr\/bin\/python3 \S+proc-holder\.py server 9000$/);
  assert.deepEqual(server.fds, { open: 14, soft: 100, hard: 200 });
});

test('fixture tree: names, other users, missing parts', () => {
  const scan = readProcesses(procTree);
  assert.equal(byPid(scan, c.comm.pid).name, 'srv) (x y) z');
  const nobody = byPid(scan, c.nobody.pid);
  assert.deepEqual([nobody.uid, nobody.user, nobody.fds.open], [65534, 'nobody', 4]);
  const nofd = byPid(scan, c.nofd).fds;
  assert.equal(nofd.open, null);
  assert.ok(typeof nofd.soft === 'number' && typeof nofd.hard === 'number');
  assert.deepEqual(byPid(scan, c.nolimit).fds, { open: 4, soft: null, hard: null });
});

test('fixture tree: every socket inode maps to the pid and fd holding it', () => {
  const scan = readProcesses(procTree);
  const expected = new Map<number, Array<{ pid: number; fd: number }>>();
  for (const h of [c.server, c.comm, c.nobody]) {
    for (const [fd, inode] of Object.entries(h.sockets)) expected.set(inode, [{ pid: h.pid, fd: Number(fd) }]);
  }
  const nolimitInode = [...scan.owners].find(([, o]) => o[0].pid === c.nolimit)?.[0];
  assert.ok(nolimitInode !== undefined);
  expected.set(nolimitInode, [{ pid: c.nolimit, fd: 3 }]);
  assert.deepEqual(new Map(scan.owners), expected);
  assert.deepEqual(scan.owners.get(c.server.listener!.inode), [{ pid: c.server.pid, fd: 3 }]);
});

test('fixture tree: one note and one partial report per kind of problem', () => {
  const scan = readProcesses(procTree);
  const status = Object.fromEntries(scan.reports.map((r) => [r.probe, r.status]));
  assert.deepEqual(status, { pids: 'ok', passwd: 'ok', 'pid-stat': 'partial', 'pid-limits': 'partial', 'pid-fd': 'partial' });
  assert.equal(scan.notes.length, 3);
  const [stat, limits, fd] = scan.notes;
  assert.match(stat, new RegExp(`^1 process could not be read \\(first: \\S+/proc/${c.badstat}/stat:1: truncated`));
  assert.match(limits, new RegExp(`^The fd limit of 1 process is unknown \\(first: \\S+/proc/${c.nolimit}/limits has no "Max open files" row\\)`));
  assert.match(fd, new RegExp(`^The fds of 1 process could not be listed \\(first: ENOENT \\S+/proc/${c.nofd}/fd/?\\)`));
});

test('opts.pids scopes the scan; a pid that does not exist is skipped without a note', () => {
  const scan = readProcesses(procTree, { pids: [c.server.pid, 999999999, c.server.pid] });
  assert.deepEqual(scan.processes.map((p) => p.pid), [c.server.pid]);
  assert.deepEqual(scan.notes, []);
  assert.equal(scan.owners.size, 7);
  assert.ok(scan.reports.every((r) => r.status === 'ok'));
});

test('a root without proc: report and note, no exception', () => {
  const root = mkdtempSync(join(tmpdir(), 'sockdoc-noproc-'));
  try {
    const scan = readProcesses(root);
    assert.deepEqual(scan.processes, []);
    assert.equal(scan.reports[0].probe, 'pids');
    assert.equal(scan.reports[0].status, 'absent');
    assert.equal(scan.notes.length, 1);
    assert.match(scan.notes[0], /^Processes could not be listed \(ENOENT /);
  } finally {
    rmSync(root, { recursive: true });
  }
});

test('a root without etc/passwd: numeric uids and one note', () => {
  const root = mkdtempSync(join(tmpdir(), 'sockdoc-nopasswd-'));
  try {
    // A copy, not a link: the confined reader never follows a link out of the root.
    cpSync(join(procTree, 'proc'), join(root, 'proc'), { recursive: true, verbatimSymlinks: true });
    const scan = readProcesses(root, { pids: [c.nobody.pid] });
    assert.deepEqual([scan.processes[0].uid, scan.processes[0].user], [65534, null]);
    assert.equal(scan.reports.find((r) => r.probe === 'passwd')?.status, 'absent');
    assert.deepEqual(scan.notes.length, 1);
    assert.match(scan.notes[0], /^User names are unknown \(ENOENT \S+\/etc\/passwd\)/);
  } finally {
    rmSync(root, { recursive: true });
  }
});

test('kernel threads: the Kthread flag when printed, else kthreadd and its children with an empty cmdline', () => {
  assert.equal(isKernelThread(3, 2, '', true), true);
  assert.equal(isKernelThread(2, 0, '', false), false, 'the flag wins when the kernel prints it');
  assert.equal(isKernelThread(2, 0, '', null), true);
  assert.equal(isKernelThread(57, 2, '', null), true);
  assert.equal(isKernelThread(2, 1, 'sleep 100', null), false, 'pid 2 in a pid namespace is a real process');
  assert.equal(isKernelThread(900, 1, '', null), false, 'a zombie has an empty cmdline but a user-space parent');
});

test('fixture tree without Kthread lines (older kernels): kernel threads still left out', () => {
  const root = mkdtempSync(join(tmpdir(), 'sockdoc-oldkernel-'));
  try {
    for (const pid of [2, c.kworker, c.server.pid]) {
      const src = join(procTree, 'proc', String(pid));
      const dst = join(root, 'proc', String(pid));
      cpSync(src, dst, { recursive: true, verbatimSymlinks: true });
      writeFileSync(join(dst, 'status'), readFileSync(join(src, 'status'), 'latin1').replace(/^Kthread:.*\n/m, ''), 'latin1');
    }
    assert.deepEqual(readProcesses(root).processes.map((p) => p.pid), [c.server.pid]);
  } finally {
    rmSync(root, { recursive: true });
  }
});
