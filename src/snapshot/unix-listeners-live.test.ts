/**
 * Unix-domain listeners, live (issue 21): unix_diag in every network namespace, judged like TCP ones.
 * - this namespace: a stream listener in a temporary directory, listen(8), never accepts, 40
 *   non-blocking clients (9 queued, 31 refused with EAGAIN): accept-queue-full on its path, with
 *   its owner and the clients' process, the numbers `ss -xl` shows;
 * - a private `ip netns` namespace: an abstract seqpacket listener, the same, seen from the host;
 * - a healthy listener that accepts its clients stays quiet;
 * - `sockets --unix --json` lists what `ss -xlp` lists;
 * - as nobody (no setns), the other namespace's unix sockets come from /proc/PID/net/unix and the
 *   report says their queues are not judged.
 * Every assertion is about the sockets this test made (unique paths and names per run).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath } from '../testing/paths.js';
import { scene, ssIn } from '../testing/netns-peers.js';
import type { DiagnosisJson } from '../render/json.js';
import type { UnixRow } from '../render/unix-sockets.js';

const asRoot = process.getuid?.() === 0;
const hasTools = spawnSync('sh', ['-c', 'command -v ip && command -v python3 && command -v ss && command -v runuser'], { stdio: 'ignore' }).status === 0;
const skip = !asRoot ? 'needs root: creates network namespaces' : !hasTools ? 'needs ip, python3, ss, runuser' : false;

function sockdoc(args: string[], user?: string): { status: number | null; stdout: string; stderr: string } {
  const argv = user ? ['runuser', '-u', user, '--', process.execPath, cliPath, ...args] : [process.execPath, cliPath, ...args];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Recv-Q, Send-Q and inode of the listener named `name` in `ss -xlH` output of `ns`. */
function ssListener(ns: string | null, name: string): { recvQ: number; sendQ: number; inode: number } {
  for (const line of ssIn(ns, ['-xlH']).split('\n')) {
    const f = line.trim().split(/\s+/);
    // Netid State Recv-Q Send-Q Local Inode Peer PeerInode: the name has no spaces here.
    if (f[4] === name) return { recvQ: Number(f[2]), sendQ: Number(f[3]), inode: Number(f[5]) };
  }
  throw new Error(`ss -xl in ${ns ?? 'this namespace'} has no ${name}`);
}

test('a unix listener that never accepts is accept-queue-full on its path, here and in another namespace; a healthy one stays quiet', { skip, timeout: 120_000 }, async () => {
  const tag = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-unix-'));
  chmodSync(dir, 0o755);
  const stuck = join(dir, 'app.sock');
  const healthy = join(dir, 'ok.sock');
  const ns = `sockdoc-i21u-${process.pid}`;
  const abstract = `@sockdoc-i21-${tag}`;
  const s = scene();
  try {
    s.netns(ns);
    const owner = await s.peer(null, ['unix-stuck', stuck, '8']);
    const clients = await s.peer(null, ['unix-clients', stuck, '40']);
    await s.peer(null, ['unix-accepting', healthy]);
    await s.peer(null, ['unix-clients', healthy, '5']);
    // As nobody: the last part reads this namespace as nobody, through its processes' /proc/PID/net.
    const nsOwner = await s.peer(ns, ['unix-stuck', abstract, '8', 'seqpacket'], 'nobody');
    const nsClients = await s.peer(ns, ['unix-clients', abstract, '40', 'seqpacket'], 'nobody');

    const r = sockdoc(['--json', '--interval', '0']);
    assert.ok(r.status === 2, `exit ${r.status}: ${r.stderr}`);
    const j = JSON.parse(r.stdout) as DiagnosisJson;
    const nsRef = j.namespaces.find((n) => n.name === ns);
    assert.ok(nsRef, `namespaces: ${j.namespaces.map((n) => n.name).join(', ')}`);
    assert.equal(nsRef.unixSource, 'unix_diag');
    assert.equal(j.namespaces[0].unixSource, 'unix_diag');

    // This namespace: the path, its owner, the numbers ss shows.
    const here = ssListener(null, stuck);
    assert.deepEqual([here.recvQ, here.sendQ], [9, 8], 'ss -xl: 9 queued over a backlog of 8');
    const full = j.findings.find((f) => f.id === 'accept-queue-full' && f.subject.path === stuck);
    assert.ok(full, `findings: ${j.findings.map((f) => f.ref).join(', ')}`);
    assert.equal(full.ref, `accept-queue-full@unix:${stuck}`);
    assert.equal(full.subject.pid, owner);
    assert.equal(full.subject.netns, undefined, 'in the host namespace');
    assert.equal(full.evidence.acceptQueue, here.recvQ);
    assert.equal(full.evidence.backlog, here.sendQ);
    assert.equal(full.evidence.limitBasis, 'backlog');
    assert.equal(full.evidence.socketType, 'stream');
    assert.equal(full.evidence.queuedFromPids, `${clients}:9`);
    assert.equal(full.severity, 'critical');
    assert.match(full.title, new RegExp(`^Accept queue of unix socket ${stuck.replace(/[.]/g, '\\.')} is full: 9 waiting, limit 8$`));
    assert.match(full.explain, /EAGAIN \("Resource temporarily unavailable"/);
    assert.equal(full.fix[0], `ss -xlp src ${stuck}   # Recv-Q = queued, Send-Q = backlog; watch whether Recv-Q drains`);
    assert.ok(full.fix.some((l) => /sock\.listen\(/.test(l)), `the program's own backlog (8, below somaxconn): ${full.fix.join(' | ')}`);
    const listener = j.unixListeners.find((l) => l.path === stuck);
    assert.deepEqual(
      listener && { inode: listener.inode, pids: listener.pids, acceptQueue: listener.acceptQueue, backlog: listener.backlog, type: listener.type, abstract: listener.abstract, queuedFrom: listener.queuedFrom },
      { inode: here.inode, pids: [owner], acceptQueue: 9, backlog: 8, type: 'stream', abstract: false, queuedFrom: [{ pid: clients, connections: 9 }] },
    );

    // The other namespace, seen from the host: an abstract seqpacket listener.
    const there = ssListener(ns, abstract);
    assert.deepEqual([there.recvQ, there.sendQ], [9, 8]);
    const nsFull = j.findings.find((f) => f.id === 'accept-queue-full' && f.subject.path === abstract);
    assert.ok(nsFull, `findings: ${j.findings.map((f) => f.ref).join(', ')}`);
    assert.equal(nsFull.ref, `accept-queue-full@unix:${abstract}@netns:${nsRef.inode}`);
    assert.equal(nsFull.subject.pid, nsOwner);
    assert.equal(nsFull.subject.netns?.name, ns);
    assert.equal(nsFull.evidence.socketType, 'seqpacket');
    assert.equal(nsFull.evidence.queuedFromPids, `${nsClients}:9`);
    assert.match(nsFull.title, new RegExp(`^Accept queue of unix socket ${abstract} in netns ${ns} is full: 9 waiting, limit 8$`));
    assert.equal(nsFull.fix[0], `ip netns exec ${ns} ss -xlp src ${abstract}   # Recv-Q = queued, Send-Q = backlog; watch whether Recv-Q drains`);
    assert.equal(j.unixListeners.find((l) => l.path === abstract)?.netns, nsRef.inode);

    // What nginx would log, as the way in: `why` checks that path and finds it full, with its owner.
    const w = sockdoc(['why', '--json', '--interval', '0', `connect() to unix:${stuck} failed (11: Resource temporarily unavailable) while connecting to upstream`]);
    assert.equal(w.status, 2, w.stderr);
    const wj = JSON.parse(w.stdout) as { answers: Array<{ headline: string; conditions: Array<{ id: string; state: string; pid?: number }> }> };
    assert.match(wj.answers[0].headline, new RegExp(`^EAGAIN: holds now — Accept queue of unix socket ${stuck.replace(/[.]/g, '\\.')} is full: 9 waiting, limit 8`));
    assert.deepEqual(wj.answers[0].conditions.find((c) => c.id === 'unix-queue-full'), { ...wj.answers[0].conditions.find((c) => c.id === 'unix-queue-full'), state: 'holds', pid: owner });
    // The healthy path: the same message about it finds nothing holding.
    const calm = JSON.parse(sockdoc(['why', '--json', '--interval', '0', `connect() to unix:${healthy} failed (11: Resource temporarily unavailable)`]).stdout) as typeof wj;
    assert.equal(calm.answers[0].conditions.find((c) => c.id === 'unix-queue-full')?.state, 'no');

    // The healthy one: listed, judged, quiet.
    assert.equal(j.unixListeners.find((l) => l.path === healthy)?.acceptQueue, 0);
    assert.deepEqual(j.findings.filter((f) => f.subject.path === healthy).map((f) => f.ref), []);

    // The terminal report names the path.
    const t = sockdoc(['--interval', '0', '--pid', String(owner)]);
    assert.match(t.stdout, new RegExp(`Accept queue of unix socket ${stuck.replace(/[.]/g, '\\.')} is full: 9 waiting,\\s+limit 8`));
    assert.match(t.stdout, /is not accepting: 9 waiting \(limit 8\)\n/, 'no TCP drop counters in a unix listener\'s chain');

    // sockets --unix: the same listeners, numbers and owners as ss -xlp.
    const rows = JSON.parse(sockdoc(['sockets', '--unix', '--json', '--state', 'LISTEN']).stdout) as UnixRow[];
    const row = rows.find((x) => x.name === stuck);
    assert.deepEqual(row && { recvQ: row.recvQ, sendQ: row.sendQ, inode: row.inode, owners: row.owners.map((o) => o.pid), netid: row.netid }, {
      recvQ: 9,
      sendQ: 8,
      inode: here.inode,
      owners: [owner],
      netid: 'u_str',
    });
    const nsRows = JSON.parse(sockdoc(['sockets', '--unix', '--json', '--netns', ns]).stdout) as UnixRow[];
    const nsRow = nsRows.find((x) => x.name === abstract && x.state === 'LISTEN');
    assert.deepEqual(nsRow && { recvQ: nsRow.recvQ, sendQ: nsRow.sendQ, inode: nsRow.inode, netid: nsRow.netid }, { recvQ: 9, sendQ: 8, inode: there.inode, netid: 'u_seq' });
    assert.ok(nsRows.every((x) => x.netns === nsRef.inode), 'only the namespace asked for');

    // As nobody: no setns, so the other namespace's unix sockets come from /proc/PID/net/unix.
    const nobody = sockdoc(['--json', '--interval', '0'], 'nobody');
    const jn = JSON.parse(nobody.stdout) as DiagnosisJson;
    assert.equal(jn.namespaces.find((n) => n.inode === nsRef.inode)?.unixSource, 'proc', nobody.stderr);
    // The queue is counted from the pending connections /proc/net/unix lists; the backlog is unknown,
    // so 9 waiting is judged against somaxconn (4096) only: no finding, and the report says why.
    const seen = jn.unixListeners.find((l) => l.path === abstract);
    assert.deepEqual(seen && { acceptQueue: seen.acceptQueue, backlog: seen.backlog, pids: seen.pids }, { acceptQueue: 9, backlog: null, pids: [nsOwner] });
    assert.ok(!jn.findings.some((f) => f.subject.path === abstract), 'not full against somaxconn');
    // Other namespaces of a busy host (another test's) may be named in the same sentence: only ours is judged.
    const noBacklogs = /read from \/proc\/net\/unix \((.*)\), which has no backlogs/;
    assert.ok(jn.notes.some((n) => noBacklogs.exec(n)?.[1].split(', ').includes(`netns ${ns}`)), jn.notes.join('\n'));
    // Its own namespace answers unix_diag without privilege: the path is judged.
    assert.ok(jn.findings.some((f) => f.id === 'accept-queue-full' && f.subject.path === stuck));
  } finally {
    assert.deepEqual(s.close(), []);
    rmSync(dir, { recursive: true, force: true });
  }
});
