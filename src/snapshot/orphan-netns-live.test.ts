/**
 * Sockets in a network namespace no process is in and no name holds, found through the sockets
 * themselves (snapshot/orphan-netns.ts), live:
 * - a process that listens (a full queue) and then unshare(CLONE_NEWNET)s: the listener, its full
 *   queue and its namespace are in `sockdoc --json` and `sockdoc port P --json`, and the process's
 *   own (new, empty) namespace is not where its sockets are said to be;
 * - a listener passed over SCM_RIGHTS to another namespace's process by a creator that exits, and
 *   one made in a namespace its process then left with setns() back home.
 * Every process here first enters a private namespace of its own (nothing touches the host's);
 * assertions are about their ports, pids and namespace inodes only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cliPath } from '../testing/paths.js';
import type { DiagnosisJson } from '../render/json.js';
import type { PortCheckJson } from '../render/port.js';

const asRoot = process.getuid?.() === 0;
const hasTools = spawnSync('sh', ['-c', 'command -v ip && command -v python3'], { stdio: 'ignore' }).status === 0;
const skip = !asRoot ? 'needs root: creates network namespaces and asks other processes\' sockets' : !hasTools ? 'needs ip and python3' : false;

/**
 * argv[1] "unshare": listen with a full queue in a private namespace, then unshare into another.
 * argv[1] "scm": unshare into a private namespace; a child unshares into its own, listens with a full
 * queue, passes the listener and its clients over SCM_RIGHTS, and exits.
 * argv[1] "setns": unshare into a private namespace, listen with a full queue in another, setns() back.
 * Prints one JSON line: the port, the listener's namespace inode, fd and socket inode; then waits
 * for stdin to close (at most 120 s).
 */
const HOLDER = String.raw`
import ctypes, json, os, select, socket, subprocess, sys, time
libc = ctypes.CDLL(None, use_errno=True)
def unshare():
    if libc.unshare(0x40000000) != 0: raise OSError(ctypes.get_errno(), 'unshare(CLONE_NEWNET)')
def full_listener():
    unshare()
    subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True)
    srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(1)
    clients = []
    for _ in range(4):
        c = socket.socket(); c.setblocking(False)
        try: c.connect(srv.getsockname())
        except BlockingIOError: pass
        clients.append(c)
    time.sleep(0.3)
    return srv, clients, os.stat('/proc/self/ns/net').st_ino
out = {}
if sys.argv[1] == 'unshare':
    srv, clients, netns = full_listener()
    # 12 connections whose peers closed, never closed here: a CLOSE_WAIT leak in that namespace.
    cw = socket.socket(); cw.bind(('127.0.0.1', 0)); cw.listen(16)
    for _ in range(12):
        c = socket.create_connection(cw.getsockname()); a, _ = cw.accept(); c.close(); clients.append(a)
    unshare()
elif sys.argv[1] == 'setns':
    unshare()
    home = os.open('/proc/self/ns/net', os.O_RDONLY)
    srv, clients, netns = full_listener()
    if libc.setns(home, 0x40000000) != 0: raise OSError(ctypes.get_errno(), 'setns')
else:
    unshare()
    a, b = socket.socketpair()
    child = os.fork()
    if child == 0:
        srv, clients, netns = full_listener()
        socket.send_fds(b, [json.dumps({'netns': netns}).encode()], [srv.fileno()] + [c.fileno() for c in clients])
        os._exit(0)
    os.waitpid(child, 0)
    msg, fds, _, _ = socket.recv_fds(a, 4096, 8)
    netns = json.loads(msg)['netns']
    srv = socket.socket(fileno=fds[0])
    clients = [socket.socket(fileno=f) for f in fds[1:]]
    out['creator'] = child
out.update(port=srv.getsockname()[1], netns=netns, fd=srv.fileno(), inode=os.fstat(srv.fileno()).st_ino, own=os.stat('/proc/self/ns/net').st_ino)
print(json.dumps(out), flush=True)
select.select([sys.stdin], [], [], 120)
`;

interface Held {
  port: number;
  netns: number;
  fd: number;
  inode: number;
  own: number;
  creator?: number;
}

function hold(mode: 'unshare' | 'scm' | 'setns', held: ChildProcess[]): Promise<{ p: ChildProcess; info: Held }> {
  const p = spawn('python3', ['-c', HOLDER, mode], { stdio: ['pipe', 'pipe', 'inherit'] });
  held.push(p);
  return new Promise((resolve, reject) => {
    let out = '';
    p.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve({ p, info: JSON.parse(out) as Held });
    });
    p.once('exit', (code) => reject(new Error(`holder (${mode}) exited (${code})`)));
  });
}

/** The cap's note (orphan-netns.ts MAX_FOUND_NAMESPACES): others on this host pinned more such namespaces than one run reads. */
const OVER_BOUND = /that no process is in, found through (a socket, was|sockets, were) not read/;

/**
 * The whole host's answer, as a user runs it; on a host where others pinned more such namespaces
 * than a run reads, only when that run says so: then the same question narrowed (`narrow`) must find ours.
 */
function wholeOr<T extends { notes: string[] }>(args: string[], ours: (j: T) => boolean, narrow: string[]): T {
  const j = sockdoc<T>(args);
  if (ours(j)) return j;
  assert.ok(j.notes.some((n) => OVER_BOUND.test(n)), `not found, and no note says why: ${j.notes.join('\n')}`);
  return sockdoc<T>([...args, ...narrow]);
}

function sockdoc<T>(args: string[]): T {
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: 100_000, maxBuffer: 256 << 20 });
  assert.ok(r.status !== null && r.status <= 2, `sockdoc ${args.join(' ')}: ${r.status} ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** The namespace, its listener and its full-queue finding, as `sockdoc --json` gives them for what `info` made. */
function assertFound(j: DiagnosisJson, pid: number, info: Held): void {
  assert.notEqual(info.netns, info.own, 'the listener lives in another namespace than its holder');
  const ns = j.namespaces.find((n) => n.inode === info.netns);
  assert.ok(ns, `namespace ${info.netns} is read: ${j.notes.join('\n')}`);
  assert.deepEqual(ns.foundThrough, { pid, fd: info.fd, socket: info.inode });
  assert.deepEqual(ns.pids, []);
  assert.equal(ns.kind, 'other');
  assert.match(ns.label, new RegExp(`^netns ${info.netns} \\(no process inside; socket of pid ${pid} python3\\)$`));
  assert.equal(ns.socketSource, 'sock_diag');
  assert.ok(ns.notes.some((n) => n.includes(`found through socket ${info.inode}, fd ${info.fd} of pid ${pid}`)), ns.notes.join('\n'));
  const l = j.listeners.find((x) => x.netns === info.netns && x.port === info.port);
  assert.ok(l, 'its listener is listed');
  assert.equal(l.inode, info.inode);
  assert.deepEqual(l.owners, [{ pid, fd: info.fd }]);
  assert.equal(l.backlog, 1);
  assert.ok(l.acceptQueue >= 2, `full: ${l.acceptQueue} waiting`);
  const f = j.findings.find((x) => x.id === 'accept-queue-full' && x.subject.netns?.inode === info.netns && x.subject.port === info.port);
  assert.ok(f, `a full-queue finding for it: ${j.findings.map((x) => x.ref).join(', ')}`);
  // Its own namespace says where its sockets are.
  const home = j.namespaces.find((n) => n.inode === info.own);
  assert.ok(home?.notes.some((n) => n.endsWith(`: pid ${pid} (python3) in it holds sockets of ${ns.label}, a namespace no process is in.`)), JSON.stringify(home?.notes));
  // Its sockets are TCP sockets of that namespace now, not fds of an unknown family.
  const proc = j.processes.find((p) => p.pid === pid);
  assert.ok(proc, 'the holder is listed');
  assert.equal(proc.netns, info.own);
  assert.ok((proc.fdKinds?.tcp ?? 0) >= 5, JSON.stringify(proc.fdKinds));
  assert.equal(proc.fdKinds?.socket, undefined, JSON.stringify(proc.fdKinds));
}

test('a listener whose process unshare()d its network namespace away is found through its socket: sockdoc --json and sockdoc port', { skip, timeout: 240_000 }, async (t) => {
  const held: ChildProcess[] = [];
  t.after(() => {
    for (const p of held) p.kill('SIGKILL');
  });
  const { p, info } = await hold('unshare', held);
  const j0 = wholeOr<DiagnosisJson>(['--json', '--interval', '300ms'], (j) => j.namespaces.some((n) => n.inode === info.netns), ['--pid', String(p.pid)]);
  assertFound(j0, p.pid!, info);

  const port = wholeOr<PortCheckJson>(['port', String(info.port), '--json', '--interval', '0'], (j) => j.listeners.some((x) => x.netnsInode === info.netns), ['--netns', String(info.netns)]);
  const l = port.listeners.find((x) => x.netnsInode === info.netns);
  assert.ok(l, `port ${info.port} finds the listener: ${JSON.stringify(port.listeners)}`);
  assert.equal(l.netns, `netns ${info.netns} (no process inside; socket of pid ${p.pid} python3)`);
  assert.deepEqual(l.owners.map((o) => [o.pid, o.fd]), [[p.pid, info.fd]]);
  assert.ok(port.findings.some((f) => f.id === 'accept-queue-full' && f.subject.netns?.inode === info.netns), port.findings.map((f) => f.ref).join(', '));

  // Commands about its sockets run where they are: nsenter into the process's own namespace would show none.
  const leak = j0.findings.find((f) => f.id === 'close-wait-leak' && f.subject.pid === p.pid);
  assert.ok(leak, `its CLOSE_WAIT leak: ${j0.findings.map((f) => f.ref).join(', ')}`);
  assert.ok(leak.fix.some((l) => l.startsWith(`# inside netns ${info.netns} (no process inside; socket of pid ${p.pid} python3), which no command here can enter: ss -tnp state close-wait | grep -c 'pid=${p.pid},'`)), leak.fix.join('\n'));
  assert.ok(!leak.fix.some((l) => l.includes(`nsenter -n -t ${p.pid}`)), leak.fix.join('\n'));

  // Asked for by the inode the report gives: that namespace, and the process holding its sockets.
  const byInode = sockdoc<DiagnosisJson>(['--json', '--interval', '0', '--netns', String(info.netns)]);
  assert.deepEqual(byInode.namespaces.map((n) => n.inode), [info.netns]);
  assert.ok(byInode.listeners.some((x) => x.port === info.port && x.acceptQueue >= 2), JSON.stringify(byInode.listeners));
  assert.deepEqual(byInode.processes.map((x) => x.pid), [p.pid], 'its holder is named, though it is in another namespace');

  // Asked about the process, sockdoc reads where its sockets are, not only its own (empty) namespace.
  const scoped = sockdoc<DiagnosisJson>(['--json', '--interval', '0', '--pid', String(p.pid)]);
  assert.ok(scoped.listeners.some((x) => x.netns === info.netns && x.port === info.port), `--pid ${p.pid}: ${JSON.stringify(scoped.listeners)}`);
});

test('a listener passed over SCM_RIGHTS by a process that exited, and one whose process setns()ed back home, are found in their namespaces', { skip, timeout: 240_000 }, async (t) => {
  const held: ChildProcess[] = [];
  t.after(() => {
    for (const p of held) p.kill('SIGKILL');
  });
  const [scm, back] = await Promise.all([hold('scm', held), hold('setns', held)]);
  assert.ok(scm.info.creator && !existsProc(scm.info.creator), 'the creator exited');
  for (const { p, info } of [scm, back]) {
    const j = wholeOr<DiagnosisJson>(['--json', '--interval', '0'], (x) => x.namespaces.some((n) => n.inode === info.netns), ['--pid', String(p.pid)]);
    assertFound(j, p.pid!, info);
  }
});

function existsProc(pid: number): boolean {
  return spawnSync('kill', ['-0', String(pid)], { stdio: 'ignore' }).status === 0;
}
