/**
 * What the fds are, live (issue 21):
 * - a process that leaks epoll instances until it is out of fds: the fd finding names eventpoll
 *   and the leak, its title says so, and its first fix line counts them (not a bigger limit);
 * - a server whose fds are mostly connections it serves, at the same limit: not called a leak;
 * - `limits PID` says the same.
 * The servers run with their own low limit (prlimit), the load inside a private network namespace.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { cliPath } from '../testing/paths.js';
import { createNetns, destroyNetns } from '../../scripts/bench/netns.js';
import type { DiagnosisJson } from '../render/json.js';

const asRoot = process.getuid?.() === 0;
const hasTools = spawnSync('sh', ['-c', 'command -v ip && command -v python3 && command -v prlimit'], { stdio: 'ignore' }).status === 0;
const skip = !asRoot ? 'needs root: a network namespace' : !hasTools ? 'needs ip, python3, prlimit' : false;

const LEAKER = `
import os, select, time
held = []
try:
    while True:
        held.append(select.epoll())
except OSError:
    pass
print("ready", os.getpid(), flush=True)
time.sleep(60)
`;

// Serves N connections from a client process it starts after lowering its own limit: its fds are
// then mostly ESTABLISHED TCP sockets.
const SERVER = `
import os, socket, subprocess, sys, time, resource
n = int(sys.argv[1])
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(512)
port = s.getsockname()[1]
c = subprocess.Popen([sys.executable, "-c", "import socket,sys,time\\nh=[socket.create_connection(('127.0.0.1', %d)) for _ in range(%d)]\\nprint('ok', flush=True)\\ntime.sleep(60)" % (port, n)], stdout=subprocess.PIPE)
conns = [s.accept()[0] for _ in range(n)]
c.stdout.readline()
print("ready", os.getpid(), c.pid, flush=True)
time.sleep(60)
`;

function sockdoc(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1', COLUMNS: '200' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function ready(child: ChildProcess): Promise<number[]> {
  const lines = createInterface({ input: child.stdout! });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  try {
    for await (const line of lines) if (line.startsWith('ready ')) return line.split(' ').slice(1).map(Number);
    throw new Error('exited before ready');
  } finally {
    clearTimeout(timer);
  }
}

test('an eventpoll leak at the fd limit is named as a leak; a server full of its connections is not', { skip, timeout: 120_000 }, async () => {
  const ns = `sockdoc-i21k-${process.pid}`;
  const children: ChildProcess[] = [];
  destroyNetns(ns);
  createNetns(ns);
  try {
    // Each in a process group of its own: the server's client child dies with it (kill(-pid)).
    const leaker = spawn('prlimit', ['--nofile=256:256', 'python3', '-c', LEAKER], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    children.push(leaker);
    const [leakPid] = await ready(leaker);
    const server = spawn('ip', ['netns', 'exec', ns, 'prlimit', '--nofile=256:256', 'python3', '-c', SERVER, '240'], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    children.push(server);
    const [serverPid] = await ready(server);

    const leak = JSON.parse(sockdoc(['--json', '--interval', '0', '--pid', String(leakPid)]).stdout) as DiagnosisJson;
    const f = leak.findings.find((x) => x.id === 'fd-limit-exhausted' && x.subject.pid === leakPid);
    assert.ok(f, `findings: ${leak.findings.map((x) => x.ref).join(', ')}`);
    const p = leak.processes.find((x) => x.pid === leakPid);
    assert.equal(p?.fds.open, 256);
    assert.ok((p?.fdKinds?.eventpoll ?? 0) >= 250, JSON.stringify(p?.fdKinds));
    assert.equal(f.evidence.topKind, 'eventpoll');
    assert.equal(f.evidence.fdVerdict, 'leak');
    assert.match(f.title, /is out of file descriptors: 256 open, soft limit 256, mostly eventpoll \(a leak\)$/);
    assert.match(f.explain, /\d+ of 256 are epoll instances \(eventpoll\): a leak, not load/);
    assert.equal(f.fix[0], `ls -l /proc/${leakPid}/fd | grep -c 'anon_inode:\\[eventpoll\\]'   # the eventpoll fds; run it again in a minute: a count that only grows is the leak`);
    const limitAt = f.fix.findIndex((l) => /prlimit --pid/.test(l));
    const reliefNote = f.fix.findIndex((l) => /a bigger fd limit only delays/.test(l));
    assert.ok(reliefNote > 0 && (limitAt === -1 || limitAt > reliefNote), `the leak before any limit: ${f.fix.join(' | ')}`);
    // The command in the first fix line counts what sockdoc counted.
    const counted = spawnSync('sh', ['-c', f.fix[0].split('   #')[0]], { encoding: 'utf8' }).stdout.trim();
    assert.equal(Number(counted), p?.fdKinds?.eventpoll);

    const load = JSON.parse(sockdoc(['--json', '--interval', '0', '--pid', String(serverPid)]).stdout) as DiagnosisJson;
    const g = load.findings.find((x) => (x.id === 'fd-limit-exhausted' || x.id === 'fd-limit-near') && x.subject.pid === serverPid);
    assert.ok(g, `findings: ${load.findings.map((x) => x.ref).join(', ')}`);
    assert.equal(g.evidence.topKind, 'tcp');
    assert.equal(g.evidence.fdVerdict, 'load');
    assert.doesNotMatch(g.title, /leak/);
    assert.match(g.explain, /are TCP sockets \(240 ESTABLISHED\): live connections, which grow with load/);
    assert.ok(!g.fix.some((l) => /a bigger fd limit only delays/.test(l)), g.fix.join(' | '));
    assert.equal(load.processes.find((x) => x.pid === serverPid)?.fdKinds?.tcp, 241, 'the listener and 240 connections');

    // `limits` says what the fds are, and for the leak, the leak first.
    const limits = sockdoc(['limits', String(leakPid)]);
    assert.match(limits.stdout, /Now 256 open: \d+ eventpoll/);
    assert.match(limits.stdout, /Find the leak first \(a bigger limit is relief, not the cure\):\n {4}ls -l \/proc\/\d+\/fd \| grep -c/);
  } finally {
    for (const c of children) {
      try {
        process.kill(-(c.pid as number), 'SIGKILL'); // the group: the server's client too
      } catch {
        // already gone
      }
    }
    await Promise.all(children.map((c) => (c.exitCode === null ? once(c, 'exit') : null)));
    assert.deepEqual(destroyNetns(ns), []);
  }
});
