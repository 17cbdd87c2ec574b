/**
 * SIGUSR1 and SIGUSR2 sent to every long-running sockdoc command — and to every node process a
 * root `sockdoc lab` starts (its inner process, its peers) — open no inspector and end nothing.
 * Judged from the kernel's socket table: a LISTEN socket on port 9229 in the process's own network
 * namespace (/proc/PID/net/tcp{,6}) whose inode is one of the process's fds. Each command runs in a
 * network namespace of its own (unshare -n, loopback up), so a 9229 held elsewhere on this host
 * can neither hide an inspector nor be mistaken for one. A bare `node` beside them is the control:
 * the same signal does open its inspector.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cliPath } from '../testing/paths.js';
import { diesWithTest } from '../testing/bounded.js';
import { alive, sleep } from '../testing/live.js';
import { processesOf } from '../lab/testing.js';
import { inspectorSockets } from '../testing/inspector.js';

const asRoot = process.getuid?.() === 0;

interface Started {
  label: string;
  child: ChildProcess;
  out: () => string;
}

/** `argv` in a network namespace of its own with loopback up (the inspector binds 127.0.0.1). */
function inOwnNetns(label: string, argv: string[]): Started {
  // A process group of its own (killed whole at the end), 60 s of CPU at most, killed when this
  // test's process ends (however it ends): nothing outlives a failed run.
  const bounded = diesWithTest(['unshare', '-n', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', ...argv], 60);
  const child = spawn(bounded[0], bounded.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { label, child, out: () => out };
}

async function until(what: string, ok: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** SIGTERM, then the whole group SIGKILLed after 5 s (the lab's inner and peers are in the lab's own groups). */
async function stop(s: Started): Promise<void> {
  if (s.child.exitCode === null && s.child.signalCode === null) {
    const closed = new Promise((resolve) => s.child.once('close', resolve));
    s.child.kill('SIGTERM');
    await Promise.race([closed, sleep(5000)]);
  }
  try {
    process.kill(-s.child.pid!, 'SIGKILL');
  } catch {
    // the group is gone
  }
}

test('SIGUSR1 and SIGUSR2 to every long-running command (and the lab inner and peers): no inspector on 9229, nothing ended', { skip: asRoot ? false : 'needs root (unshare -n)', timeout: 120_000 }, async () => {
  const node = process.execPath;
  const control = inOwnNetns('control: a bare node', [node, '-e', 'setTimeout(() => {}, 60000)']);
  const commands: Started[] = [
    inOwnNetns('sockdoc --interval 30s', [node, cliPath, '--interval', '30s']),
    inOwnNetns('sockdoc watch (piped)', [node, cliPath, 'watch', '--every', '1s']),
    inOwnNetns('sockdoc serve', [node, cliPath, 'serve', '--listen', '127.0.0.1:0']),
  ];
  const all = [control, ...commands];
  try {
    const [diagnose, watch, serve] = commands;
    await until('watch to print a line', () => /critical=\d+/.test(watch.out()));
    await until('serve to listen', () => serve.out().includes('listening on http://'));
    // The lab last (its story lasts ~6 s): signalled as soon as its inner process and a peer run.
    const lab = inOwnNetns('sockdoc lab accept-queue', [node, cliPath, 'lab', 'accept-queue', '--no-color']);
    commands.push(lab);
    all.push(lab);
    const labChildren = (): Array<{ label: string; pid: number }> =>
      processesOf(lab.child.pid!).flatMap((line) => {
        const [pid, ...args] = line.trim().split(/\s+/);
        return args[0] === node || args.includes(node) ? [{ label: `lab child: ${args.slice(0, 4).join(' ').slice(0, 80)}`, pid: Number(pid) }] : [];
      });
    await until("the lab's inner process and a peer", () => labChildren().length >= 2);
    // Every node process of each command: the command itself, and for the lab its inner process and peers.
    const targets: Array<{ label: string; pid: number }> = [{ label: control.label, pid: control.child.pid! }];
    for (const c of commands) targets.push({ label: c.label, pid: c.child.pid! });
    targets.push(...labChildren());
    assert.ok(targets.filter((t) => t.label.startsWith('lab child')).length >= 2, `the lab's inner and a peer were found: ${processesOf(lab.child.pid!).join('\n')}`);
    for (const t of targets) assert.deepEqual(inspectorSockets(t.pid), [], `${t.label}: no inspector before the signal`);
    for (const t of targets) {
      try {
        process.kill(t.pid, 'SIGUSR1');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err; // a lab peer whose part ended
      }
    }
    await sleep(1500);
    assert.ok(inspectorSockets(control.child.pid!).length === 1, 'the control node opened its inspector on 9229 (the check sees one)');
    for (const t of targets.slice(1)) {
      if (!alive(t.pid)) continue; // a lab peer the story ended meanwhile: it had no inspector (checked below for the living)
      assert.deepEqual(inspectorSockets(t.pid), [], `${t.label} (pid ${t.pid}): SIGUSR1 opened no inspector`);
    }
    // The lab's story may end by itself meanwhile (~6 s): then it exited normally, not by a signal.
    const ok = (c: Started) => alive(c.child.pid!) || (c === lab && c.child.signalCode === null && (c.child.exitCode === 0 || c.child.exitCode === 1));
    for (const c of commands) assert.ok(ok(c), `${c.label}: alive after SIGUSR1 (exit ${c.child.exitCode} ${c.child.signalCode})`);
    for (const c of commands) if (alive(c.child.pid!)) process.kill(c.child.pid!, 'SIGUSR2');
    await sleep(500);
    for (const c of commands) {
      assert.ok(ok(c), `${c.label}: alive after SIGUSR2 (exit ${c.child.exitCode} ${c.child.signalCode})\n${c.out()}`);
      assert.deepEqual(inspectorSockets(c.child.pid!), [], `${c.label}: no inspector`);
    }
    assert.match(serve.out(), /SIGUSR1 ignored/, 'serve says it ignored the signal');
    assert.equal(diagnose.child.exitCode, null, 'the 30 s diagnosis is still running');
  } finally {
    await Promise.all(all.map(stop));
  }
});
