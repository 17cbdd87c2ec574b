/**
 * A window over other namespaces walks their TCP sockets once, at its start, and carries them to
 * its end only where the end proves nothing changed (snapshot/window-end.ts). Live, in namespaces
 * this test makes (one holder process enters each with setns):
 * - a quiet one (a full listener) is carried: not walked again, its queued client has waited longer;
 * - a busy one (a client connects during the window) is walked again and shows the new connection;
 * - a CLOSE_WAIT leak beside a full listener is still found as a leak (and the full queue too):
 *   carrying never hides what a second walk would show.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { cliPath } from '../testing/paths.js';
import { uniqueName } from '../testing/unique.js';
import { planNetns } from './netns-plan.js';
import { readLiveNetns } from '../probe/netns-read.js';
import { readWindowEnd, UnchangedReads } from './window-end.js';
import { tcpStateNumber } from './socket-table.js';
import type { DiagnosisJson } from '../render/json.js';

const asRoot = process.getuid?.() === 0;
const hasTools = spawnSync('sh', ['-c', 'command -v ip && command -v python3'], { stdio: 'ignore' }).status === 0;
const skip = !asRoot ? 'needs root: creates network namespaces' : !hasTools ? 'needs ip, python3' : false;

/**
 * argv: quiet busy leak (ip netns names). quiet: a full listener (backlog 0, one client queued);
 * busy: a listener; leak: 12 accepted connections whose clients closed (owned CLOSE_WAIT) and a
 * full listener. Says "ready"; on "connect" connects one client in busy and says "connected".
 */
const HOLDER = `
import ctypes, fcntl, os, socket, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
home = os.open('/proc/self/ns/net', os.O_RDONLY)
def enter(name):
    fd = os.open('/run/netns/' + name, os.O_RDONLY)
    if libc.setns(fd, 0x40000000) != 0:
        raise OSError(ctypes.get_errno(), 'setns ' + name)
    os.close(fd)
def lo_up():
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    flags = struct.unpack('16sh', fcntl.ioctl(u, 0x8913, struct.pack('16sh', b'lo', 0)))[1]
    fcntl.ioctl(u, 0x8914, struct.pack('16sh', b'lo', flags | 1))
    u.close()
def queued(port):
    c = socket.socket()
    c.setblocking(False)
    c.connect_ex(('127.0.0.1', port))
    return c
quiet, busy, leak = sys.argv[1:4]
keep = []
enter(quiet); lo_up()
s = socket.socket(); s.bind(('127.0.0.1', 9401)); s.listen(0)
keep += [s, queued(9401)]
enter(busy); lo_up()
b = socket.socket(); b.bind(('127.0.0.1', 9402)); b.listen(16)
keep.append(b)
enter(leak); lo_up()
l = socket.socket(); l.bind(('127.0.0.1', 9403)); l.listen(16)
for i in range(12):
    c = socket.create_connection(('127.0.0.1', 9403))
    a, _ = l.accept()
    keep.append(a)
    c.close()
l.listen(0)
keep += [l, queued(9403)]
libc.setns(home, 0x40000000)
print('ready', flush=True)
for line in sys.stdin:
    if line.strip() == 'connect':
        enter(busy)
        keep.append(socket.create_connection(('127.0.0.1', 9402)))
        libc.setns(home, 0x40000000)
        print('connected', flush=True)
`;

const ESTABLISHED = tcpStateNumber('ESTABLISHED');

test('a window walks other namespaces once: a quiet one is carried to the end, a busy one walked again, a leak beside a full listener still found', { skip, timeout: 180_000 }, async () => {
  const names = ['quiet', 'busy', 'leak'].map((n) => uniqueName(`sockdoc-wend-${n}`));
  let holder: ChildProcess | null = null;
  try {
    for (const n of names) assert.equal(spawnSync('ip', ['netns', 'add', n]).status, 0, `ip netns add ${n}`);
    holder = spawn('python3', ['-c', HOLDER, ...names], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: holder.stdout! })[Symbol.asyncIterator]();
    assert.equal((await lines.next()).value, 'ready');

    // The snapshot's two reads, as buildSnapshot makes them for a window, over this test's namespaces only.
    const targets = planNetns('/', true, undefined).targets.filter((t) => names.some((n) => t.namedPath?.endsWith(`/${n}`)));
    assert.equal(targets.length, 3, JSON.stringify(targets));
    const at = (n: string) => targets.findIndex((t) => t.namedPath!.endsWith(`/${n}`));
    const [quiet, busy] = [at(names[0]), at(names[1])];
    const first = await readLiveNetns(targets, undefined, {}, undefined, undefined, 'window-start', true);
    const readAt = Date.now();
    holder.stdin!.write('connect\n');
    assert.equal((await lines.next()).value, 'connected');
    await new Promise((r) => setTimeout(r, 300));
    const end = await readWindowEnd(targets, first, readAt);

    assert.equal(end[quiet].reread, false, 'nothing moved in the quiet namespace: carried');
    assert.equal(end[quiet].table.length, first[quiet].table.length);
    const waited = (t: (typeof end)[number]['table']) => [...(t.waitedMs ?? [])].filter((w) => w !== 0xffffffff);
    assert.equal(waited(end[quiet].table).length, 1, 'its queued client has a wait');
    assert.ok(waited(end[quiet].table)[0] >= waited(first[quiet].table)[0] + 300, `the wait grew by the window at least: ${waited(first[quiet].table)} -> ${waited(end[quiet].table)}`);
    assert.ok(end[quiet].counters && Object.keys(end[quiet].counters!).length > 0, 'its counters are the end\'s');

    assert.equal(end[busy].reread, true, 'a client connected in the busy namespace: walked again');
    const established = (t: (typeof end)[number]['table']) => [...t.state].filter((s) => s === ESTABLISHED).length;
    assert.equal(established(first[busy].table), 0);
    assert.equal(established(end[busy].table), 2, 'the new connection, both ends');

    // Reads kept between reads (serve's scrapes): the second read carries the quiet one, with its sysctls read again.
    const kept = new UnchangedReads();
    const once = await kept.read(targets);
    assert.deepEqual(once.map((d) => d.reread), [true, true, true], 'nothing kept yet: each read whole');
    const twice = await kept.read(targets);
    assert.equal(twice[quiet].reread, false, 'the quiet namespace is carried');
    assert.ok(twice[quiet].tunables['net.core.somaxconn'] !== null, 'its sysctls read again');
    assert.equal(twice[quiet].unix.source, 'unix_diag');
    assert.equal(kept.size, 3);

    // Through the CLI, with its default window: the leak and the full queue of the leak namespace are both found.
    const r = spawnSync(process.execPath, [cliPath, '--json'], { encoding: 'utf8', timeout: 120_000, maxBuffer: 256 << 20 });
    assert.ok(r.status !== null && r.status <= 2, `sockdoc: ${r.status} ${r.stderr}`);
    const j = JSON.parse(r.stdout) as DiagnosisJson;
    const leakNs = j.namespaces.find((n) => n.name === names[2]);
    assert.ok(leakNs, 'the leak namespace was read');
    const mine = j.findings.filter((f) => f.subject.netns?.inode === leakNs.inode || f.subject.pid === holder!.pid);
    assert.ok(mine.some((f) => f.id === 'close-wait-leak' && f.subject.pid === holder!.pid), JSON.stringify(mine.map((f) => [f.id, f.subject])));
    assert.ok(mine.some((f) => f.id === 'accept-queue-full' && f.subject.netns?.inode === leakNs.inode && f.subject.port === 9403), JSON.stringify(mine.map((f) => [f.id, f.subject])));
    const quietNs = j.namespaces.find((n) => n.name === names[0]);
    assert.ok(quietNs && j.findings.some((f) => f.id === 'accept-queue-full' && f.subject.netns?.inode === quietNs.inode), 'the quiet namespace\'s full queue');
  } finally {
    holder?.kill('SIGKILL');
    for (const n of names) spawnSync('ip', ['netns', 'del', n]);
  }
});
