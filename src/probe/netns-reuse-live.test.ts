/**
 * A pid reused between discovery and entry (issue 18): sockdoc finds a namespace through
 * /proc/P/ns/net and enters it later; if P exits and its pid goes to a process of another
 * namespace meanwhile, that other namespace must never be read under the first one's name. The
 * helper (src/testing/netns-reuse-runner.ts) runs in a new pid namespace with its own /proc, where
 * /proc/sys/kernel/ns_last_pid hands the dead pid to a new process in the other namespace inside
 * the window a test-only hook opens (what strace or a loaded host would do by chance).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../testing/paths.js';

const isRoot = process.getuid?.() === 0;

interface Reuse {
  pid: number;
  reused: boolean;
}

test('live: a pid reused between discovery and entry never puts one namespace\'s sockets in another (snapshot and capture)', { skip: isRoot ? false : 'needs root (namespaces, ns_last_pid)' }, () => {
  const runner = join(repoRoot, 'dist', 'src', 'testing', 'netns-reuse-runner.js');
  const r = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, runner], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.error, undefined);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as {
    snapshot: { inodeA: number; inodeB: number; reuse: Reuse; namespaces: Array<{ inode: number; notes: string[]; partial: boolean }>; listeners: Array<{ netns: number; port: number }>; processes: Array<{ pid: number; netns: number | null }> };
    capture: { inodeA: number; inodeB: number; reuse: Reuse; problems: string[]; listening: Record<string, number[]> };
  };
  const s = out.snapshot;
  assert.ok(s.reuse.reused, `the dead pid ${s.reuse.pid} was given to a process in namespace B`);
  assert.notEqual(s.inodeA, s.inodeB);
  // B's listener is reported in B, and nowhere else.
  assert.deepEqual(s.listeners.filter((l) => l.port === 1002).map((l) => l.netns), [s.inodeB]);
  assert.ok(!s.listeners.some((l) => l.netns === s.inodeA), `nothing is reported in A: ${JSON.stringify(s.listeners)}`);
  // A is named, partial, and says why it was skipped.
  const a = s.namespaces.find((n) => n.inode === s.inodeA);
  assert.ok(a?.partial, JSON.stringify(a));
  assert.match(a?.notes.join(' ') ?? '', new RegExp(`skipped: /proc/${s.reuse.pid}/ns/net named network namespace ${s.inodeB} when entered, not ${s.inodeA}`));
  // The process that holds the pid now is in B, not in A where the pid was found.
  assert.equal(s.processes.find((p) => p.pid === s.reuse.pid)?.netns, s.inodeB);

  const c = out.capture;
  assert.ok(c.reuse.reused, `capture: the dead pid ${c.reuse.pid} was given to a process in namespace B`);
  assert.equal(c.listening[String(c.inodeA)], undefined, `nothing captured under A: ${JSON.stringify(c.listening)}`);
  assert.deepEqual(c.listening[String(c.inodeB)], [1002]);
  assert.ok(c.problems.some((p) => p.includes(`named network namespace ${c.inodeB} when entered, not ${c.inodeA}`)), c.problems.join('\n'));
});
