/**
 * Test helper (src/probe/netns-reuse-live.test.ts), run as pid 1 of a new pid namespace with its
 * own /proc (`unshare --pid --fork --mount-proc node THIS`): only this helper's processes are in
 * that /proc, and /proc/sys/kernel/ns_last_pid picks the next pid of this pid namespace, so a pid
 * can be reused on purpose. Two network namespaces each hold a listener (A: port 1001, B: 1002);
 * after sockdoc has found them and before it enters them (the window strace widens), A's only
 * process is killed and its pid is given to a new process in B. Prints what sockdoc reported, as
 * JSON on stdout: the snapshot's namespaces and listeners, then the same for a capture.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buildSnapshot } from '../snapshot/build.js';
import { captureNamespaces } from '../snapshot/capture-netns.js';
import { finishCapture, openCapture } from '../snapshot/capture-dir.js';

const PORT_A = 1001;
const PORT_B = 1002;
const children: ChildProcess[] = [];

/** python3 in a new network namespace listening on PORT: resolves once it listens. */
async function listenerIn(port: number): Promise<ChildProcess> {
  const code = `import socket,sys\ns=socket.socket()\ns.bind(("0.0.0.0",${port}))\ns.listen(8)\nprint("ready",flush=True)\nsys.stdin.read()`;
  const c = spawn('unshare', ['-n', 'python3', '-c', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(c);
  await once(createInterface({ input: c.stdout! }), 'line');
  return c;
}

const inodeOf = (pid: number) => Number(/\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/net`))?.[1]);

/** Kills `victim`, then starts a process in `into`'s network namespace that gets the victim's pid. */
async function reusePid(victim: ChildProcess, into: number): Promise<{ pid: number; reused: boolean }> {
  const pid = victim.pid as number;
  victim.kill('SIGKILL');
  await once(victim, 'exit');
  for (let tries = 0; tries < 50; tries++) {
    writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid - 1));
    const c = spawn('nsenter', ['-t', String(into), '-n', 'sleep', '120'], { stdio: 'ignore' });
    children.push(c);
    if (c.pid === pid) {
      // nsenter has entered B once it has exec'd sleep.
      for (let i = 0; i < 200 && !existsSync(`/proc/${pid}/comm`); i++) await new Promise((r) => setTimeout(r, 5));
      for (let i = 0; i < 200; i++) {
        try {
          if (inodeOf(pid) === inodeOf(into)) return { pid, reused: true };
        } catch {
          // not yet
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    c.kill('SIGKILL');
    await once(c, 'exit');
  }
  return { pid, reused: false };
}

async function main(): Promise<void> {
  const out: Record<string, unknown> = {};
  try {
    // 1. The snapshot (diagnose, serve, watch all read namespaces through it).
    {
      const a = await listenerIn(PORT_A);
      const b = await listenerIn(PORT_B);
      const inodeA = inodeOf(a.pid as number);
      const inodeB = inodeOf(b.pid as number);
      let reuse = { pid: 0, reused: false };
      const snap = await buildSnapshot({ root: '/', intervalMs: 0, netnsHooks: { beforeEntry: async () => void (reuse = await reusePid(a, b.pid as number)) } });
      out.snapshot = {
        inodeA,
        inodeB,
        reuse,
        namespaces: snap.namespaces.map((n) => ({ inode: n.inode, name: n.name, notes: n.notes, partial: n.partial })),
        listeners: snap.listeners.map((l) => ({ netns: l.netns, port: l.port })),
        processes: snap.processes.map((p) => ({ pid: p.pid, netns: p.netns })),
      };
    }
    // 2. A capture of the same situation.
    {
      const a = await listenerIn(PORT_A);
      const b = await listenerIn(PORT_B);
      const inodeA = inodeOf(a.pid as number);
      const inodeB = inodeOf(b.pid as number);
      const dir = mkdtempSync(join(tmpdir(), 'sockdoc-reuse-'));
      let reuse = { pid: 0, reused: false };
      try {
        const w = openCapture(join(dir, 'cap'));
        const r = await captureNamespaces(w, [a.pid as number, b.pid as number], [], { all: false, hooks: { beforeEntry: async () => void (reuse = await reusePid(a, b.pid as number)) } });
        finishCapture(w);
        const netns = existsSync(join(dir, 'cap', 'netns')) ? readdirSync(join(dir, 'cap', 'netns')) : [];
        // Listening ports in each captured namespace's proc/net/tcp (state 0A = LISTEN).
        const listening = (inode: string): number[] => {
          const path = join(dir, 'cap', 'netns', inode, 'proc', 'net', 'tcp');
          if (!existsSync(path)) return [];
          return readFileSync(path, 'latin1')
            .split('\n')
            .slice(1)
            .map((l) => l.trim().split(/\s+/))
            .filter((f) => f[3] === '0A')
            .map((f) => parseInt(f[1].split(':')[1], 16));
        };
        out.capture = { inodeA, inodeB, reuse, problems: r.problems, listening: Object.fromEntries(netns.map((n) => [n, listening(n)])) };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    for (const c of children) c.kill('SIGKILL');
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((err) => {
  for (const c of children) c.kill('SIGKILL');
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
