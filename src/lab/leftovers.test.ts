/**
 * What a lab run killed with SIGKILL leaves is removed by a later run — and nothing else. Live, as
 * root: a run that really died (a process of this test, killed), its namespace and its directory
 * with a process running from it, a descendant of that process and a tmpfs mounted inside; beside
 * them the same things of a live owner, of a reused pid, of another user, and a symlink, which
 * must stay. The directories live under a parent of this test's own, so only they are looked at.
 * Then `sockdoc lab container` killed with SIGKILL while its private dockerd runs, and a later
 * `sockdoc lab accept-queue` that must remove the dockerd, its container and its directories.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deadLabDirectories, describeRemoved, removeLeftovers } from './leftovers.js';
import { destroyNamespace, labOwnerOf, listLabNamespaces, ownerAlive, startTimeOf } from './namespace.js';
import { alive, sleep } from '../testing/live.js';
import { startLabProcess } from './testing.js';
import { dockerMissing } from './private-docker.js';

const asRoot = process.getuid?.() === 0;
const rootOnly = asRoot ? false : 'needs root: network namespaces, mounts, another uid';

test('lab names carry the owner pid and start time; a reused pid or a gone one is a dead owner', () => {
  assert.deepEqual(labOwnerOf('sockdoc-lab-4242.1x3k-mwv8y222'), { pid: 4242, start: parseInt('1x3k', 36) });
  assert.deepEqual(labOwnerOf('sockdoc-lab-4242.1x3k-mwv8y222-AbC123'), { pid: 4242, start: parseInt('1x3k', 36) }, 'a mkdtemp directory');
  assert.deepEqual(labOwnerOf('sockdoc-lab-4242.1x3k-mwv8y222-peer-AbC123'), { pid: 4242, start: parseInt('1x3k', 36) });
  assert.deepEqual(labOwnerOf('sockdoc-lab-4242-mwv8y222'), { pid: 4242, start: null }, 'a name from before the start time');
  for (const bad of ['sockdoc-lab-peer-AbC123', 'sockdoc-lab-x-1', 'sockdoc-lab-', 'other', 'sockdoc-lab-12.zz', 'sockdoc-lab-12-a/b']) assert.equal(labOwnerOf(bad), null, bad);
  const me = { pid: process.pid, start: startTimeOf(process.pid) };
  assert.equal(ownerAlive(me), true);
  assert.equal(ownerAlive({ ...me, start: me.start! + 1 }), false, 'same pid, another start: reused');
  assert.equal(ownerAlive({ pid: process.pid, start: null }), true, 'pid only: alive while the pid is');
});

/** A process that ran and is gone: its pid and start time, as a killed lab run leaves them. */
async function deadOwner(): Promise<{ pid: number; start: number }> {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  for (let i = 0; i < 50 && startTimeOf(child.pid!) === null; i++) await sleep(10);
  const start = startTimeOf(child.pid!)!;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  return { pid: child.pid!, start };
}

function runningFrom(dir: string): ChildProcess {
  // Its arguments name a path inside the directory (as dockerd's --data-root does); its child descends from it.
  return spawn('sh', ['-c', 'sleep 60 & wait', join(dir, 'fake-dockerd')], { stdio: 'ignore', detached: true });
}

test('a dead run\'s namespace and directory go, with what runs from it and what is mounted in it; nothing else does', { skip: rootOnly, timeout: 60_000 }, async () => {
  const parent = mkdtempSync(join(tmpdir(), `sockdoc-leftovers-${process.pid}-`));
  const dead = await deadOwner();
  const id = (owner: { pid: number; start: number }, tag: string) => `sockdoc-lab-${owner.pid}.${owner.start.toString(36)}-${tag}${Math.random().toString(36).slice(2, 6)}`;
  const deadNs = id(dead, 'ns');
  const deadDir = join(parent, `${id(dead, 'dir')}-Abc123`);
  const me = { pid: process.pid, start: startTimeOf(process.pid)! };
  const liveDir = join(parent, `${id(me, 'live')}-Abc123`);
  const reusedDir = join(parent, `${id({ pid: process.pid, start: me.start + 7 }, 'reused')}-Abc123`);
  const foreignDir = join(parent, `${id(dead, 'foreign')}-Abc123`);
  const linkDir = join(parent, `${id(dead, 'link')}-Abc123`);
  const target = mkdtempSync(join(tmpdir(), `sockdoc-leftovers-target-${process.pid}-`));
  const procs: ChildProcess[] = [];
  try {
    assert.equal(spawnSync('ip', ['netns', 'add', deadNs]).status, 0);
    for (const d of [deadDir, liveDir, reusedDir, foreignDir]) mkdirSync(d, { mode: 0o700 });
    chownSync(foreignDir, 65534, 65534);
    writeFileSync(join(target, 'keep'), 'not theirs');
    symlinkSync(target, linkDir);
    mkdirSync(join(deadDir, 'exec'));
    assert.equal(spawnSync('mount', ['-t', 'tmpfs', 'sockdoc-test', join(deadDir, 'exec')]).status, 0);
    writeFileSync(join(deadDir, 'exec', 'state'), 'x');
    const fromDead = runningFrom(deadDir);
    const fromLive = runningFrom(liveDir);
    procs.push(fromDead, fromLive);
    await sleep(300);
    const deadKids = readFileSync(`/proc/${fromDead.pid}/task/${fromDead.pid}/children`, 'latin1').trim().split(/\s+/).map(Number);
    assert.equal(deadKids.length, 1, 'the sleep under the dead run\'s process');

    assert.deepEqual(deadLabDirectories([parent]).sort(), [deadDir, reusedDir].sort(), 'only the dead owner\'s and the reused pid\'s');
    const removed = removeLeftovers([parent]);
    assert.ok(removed.namespaces.includes(deadNs), JSON.stringify(removed));
    assert.deepEqual(removed.directories.sort(), [deadDir, reusedDir].sort());
    assert.deepEqual(removed.problems, []);
    assert.match(describeRemoved(removed)!, /^removed what earlier lab runs that are gone left: /);
    assert.ok(!listLabNamespaces().includes(deadNs));
    assert.ok(!existsSync(deadDir) && !existsSync(reusedDir));
    for (let i = 0; i < 50 && (alive(fromDead.pid!) || alive(deadKids[0])); i++) await sleep(50);
    assert.ok(!alive(fromDead.pid!) && !alive(deadKids[0]), 'the process running from it and its child were killed');
    assert.ok(!readFileSync('/proc/self/mountinfo', 'latin1').includes(deadDir), 'its mount detached');
    // What is not provably a dead run's stays.
    assert.ok(existsSync(liveDir) && existsSync(foreignDir) && existsSync(linkDir), 'live owner, other user, symlink');
    assert.equal(readFileSync(join(target, 'keep'), 'utf8'), 'not theirs');
    assert.ok(alive(fromLive.pid!), 'a process of a live run is left alone');
  } finally {
    for (const p of procs) if (p.pid && alive(p.pid)) process.kill(-p.pid, 'SIGKILL');
    spawnSync('umount', ['-l', join(deadDir, 'exec')], { stdio: 'ignore' });
    destroyNamespace(deadNs);
    rmSync(linkDir, { force: true });
    rmSync(parent, { recursive: true, force: true });
    rmSync(target, { recursive: true, force: true });
  }
});

/** Lab directories of `id` under /tmp and $TMPDIR. */
function dirsOf(id: string): string[] {
  return [...new Set(['/tmp', tmpdir()])].flatMap((d) => readdirSync(d).filter((n) => n.startsWith(id)).map((n) => join(d, n)));
}

/** Pids running with an argument inside one of `dirs`. */
function runningIn(dirs: string[]): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const args = readFileSync(`/proc/${p}/cmdline`, 'latin1');
      if (dirs.some((d) => args.includes(d))) out.push(Number(p));
    } catch {
      // gone
    }
  }
  return out;
}

const dockerSkip = !asRoot ? 'needs root' : dockerMissing() ? `docker: ${dockerMissing()}` : false;

test('lab container killed with SIGKILL leaves a running dockerd and its directories; the next lab run removes them', { skip: dockerSkip, timeout: 180_000 }, async () => {
  const killed = startLabProcess(['container', '--no-color']);
  let id = '';
  try {
    for (let i = 0; i < 900 && !id; i++) {
      id = /Private dockerd under \/tmp\/(sockdoc-lab-[0-9a-z.]+-[0-9a-z]+)-\*/.exec(killed.stdout())?.[1] ?? '';
      if (!id) await sleep(100);
    }
    assert.ok(id, `the container run began: ${killed.stdout()}`);
    killed.child.kill('SIGKILL');
    await killed.finished;
    const dirs = dirsOf(id);
    assert.ok(dirs.length >= 2, `its dockerd directory and peer directory are left: ${dirs.join(' ')}`);
    const left = runningIn(dirs);
    assert.ok(left.length >= 1, 'its dockerd still runs');

    const later = startLabProcess(['accept-queue', '--no-color']);
    const done = await later.finished;
    assert.match(done.stderr, new RegExp(`removed what earlier lab runs that are gone left: .*${id.replace(/\./g, '\\.')}`));
    assert.deepEqual(dirsOf(id), [], 'its directories are gone');
    for (let i = 0; i < 50 && left.some(alive); i++) await sleep(100);
    assert.deepEqual(left.filter(alive), [], 'its dockerd, containerd and container are gone');
    assert.deepEqual(runningIn(dirs), []);
  } finally {
    if (id) removeLeftovers();
  }
});
