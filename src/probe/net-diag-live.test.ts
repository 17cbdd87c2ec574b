/**
 * On a live namespace, the sock_diag dump (readNetTcp's default on root "/") must give exactly the
 * TcpSocket set /proc/net/tcp{,6} gives, and the same backlog map as the LISTEN-only dump of
 * readListenBacklogs. The zoo: scripts/bench/scene.js (listeners v4, v6, dual-stack, established
 * pairs with data, a full never-accepted queue with inode-0 ESTABLISHED and CLOSE_WAIT, owned
 * CLOSE_WAIT / FIN_WAIT2, TIME_WAIT, SYN_SENT, v4-mapped) plus scripts/fixtures/diag-zoo.py
 * (request sockets of a non-root listener, v4-mapped among them, and a non-root full queue).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from '../testing/paths.js';
import { createNetns, destroyNetns, inNetns } from '../../scripts/bench/netns.js';
import { uniqueName } from '../testing/unique.js';
import type { TcpSocket } from '../snapshot/types.js';

const scene = join(repoRoot, 'dist', 'scripts', 'bench', 'scene.js');
const zoo = join(repoRoot, 'scripts', 'fixtures', 'diag-zoo.py');
const BASE = 6400;
const isRoot = process.getuid?.() === 0;

function start(ns: string, cmd: string, args: string[]): { child: ChildProcess; ready: Promise<void> } {
  const [c, a] = inNetns(ns, cmd, args);
  const child = spawn(c, a, { stdio: ['pipe', 'pipe', 'inherit'] });
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')}: not ready after 15 s`)), 15_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('ready')) {
        clearTimeout(timer);
        resolve();
      } else if (line.startsWith('fail')) {
        clearTimeout(timer);
        reject(new Error(`${args.join(' ')}: ${line}`));
      }
    });
    child.on('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}`)));
  });
  return { child, ready };
}

interface Reads {
  proc: TcpSocket[];
  diag: TcpSocket[];
  diagSource: string;
  diagBacklogs: Array<[string, number]>;
  listenBacklogs: Array<[string, number]>;
  procAgain: TcpSocket[];
  extras: { drops: boolean; waits: boolean };
  plain: TcpSocket[];
  plainSource: string;
  plainExtras: { drops: boolean; waits: boolean };
}

/** /proc, the dump, the LISTEN-only dump, /proc again, all inside the namespace. */
const READER = `
const { readNetTcp } = await import(${JSON.stringify(join(repoRoot, 'dist/src/probe/net-tcp.js'))});
const { readListenBacklogs } = await import(${JSON.stringify(join(repoRoot, 'dist/src/probe/sock-diag.js'))});
const proc = readNetTcp('/', { source: 'proc' });
const diag = readNetTcp('/', { source: 'sock_diag' });
const listen = readListenBacklogs('/');
const procAgain = readNetTcp('/', { source: 'proc' });
process.env.SOCKDOC_LISTENER_EXTRAS = 'off'; // the benchmark's "without": one plain dump
const plain = readNetTcp('/', { source: 'sock_diag' });
process.stdout.write(JSON.stringify({ proc: proc.table.toArray(), diag: diag.table.toArray(), diagSource: diag.source,
  extras: { drops: diag.table.drops !== null, waits: diag.waits !== null }, plain: plain.table.toArray(), plainSource: plain.source,
  plainExtras: { drops: plain.table.drops !== null, waits: plain.waits !== null },
  diagBacklogs: [...(diag.backlogs ?? [])], listenBacklogs: listen.source === 'sock_diag' ? [...listen.backlogs] : null,
  procAgain: procAgain.table.toArray() }));
`;

const key = (s: TcpSocket) => JSON.stringify([s.family, s.localAddress, s.localPort, s.remoteAddress, s.remotePort, s.state, s.inode, s.uid, s.txQueue, s.rxQueue]);
const sorted = (xs: TcpSocket[]) => xs.map(key).sort();
const sortedPairs = (xs: Array<[string, number]>) => [...xs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

function stableReads(ns: string): Reads {
  for (let attempt = 0; attempt < 5; attempt++) {
    const [c, a] = inNetns(ns, process.execPath, ['--input-type=module', '-e', READER]);
    const r = spawnSync(c, a, { encoding: 'utf8', timeout: 30_000, maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, `reader failed: ${r.error?.message ?? r.stderr}`);
    const reads = JSON.parse(r.stdout) as Reads;
    if (JSON.stringify(sorted(reads.proc)) === JSON.stringify(sorted(reads.procAgain))) return reads;
    spawnSync('sleep', ['0.5']);
  }
  throw new Error('sockets kept changing between two /proc reads');
}

test('the sock_diag dump lists the same TcpSockets as /proc/net/tcp{,6}, and the same backlogs', { skip: isRoot ? false : 'needs root: creates a network namespace', timeout: 90_000 }, async () => {
  const ns = uniqueName('sockdoc-netdiag');
  const children: ChildProcess[] = [];
  createNetns(ns);
  try {
    const servers = [start(ns, process.execPath, [scene, 'acceptor', String(BASE)]), start(ns, process.execPath, [scene, 'stuck', String(BASE)]), start(ns, 'python3', [zoo, String(BASE)])];
    children.push(...servers.map((s) => s.child));
    await Promise.all(servers.map((s) => s.ready));
    const clients = start(ns, process.execPath, [scene, 'clients', String(BASE)]);
    children.push(clients.child);
    await clients.ready;

    const reads = stableReads(ns);
    assert.equal(reads.diagSource, 'sock_diag', 'the native addon with tcpDiagTable must be built for this test');
    const has = (what: string, pred: (s: TcpSocket) => boolean) => assert.ok(reads.proc.some(pred), `zoo lacks ${what}`);
    for (const st of ['LISTEN', 'ESTABLISHED', 'SYN_RECV', 'TIME_WAIT', 'CLOSE_WAIT', 'FIN_WAIT2', 'SYN_SENT'] as const) has(st, (s) => s.state === st);
    has('a v4 listener', (s) => s.state === 'LISTEN' && s.family === 4);
    has('a v6 listener', (s) => s.state === 'LISTEN' && s.localAddress === '::1');
    has('a dual-stack listener', (s) => s.state === 'LISTEN' && s.localAddress === '::');
    has('a full queue', (s) => s.state === 'LISTEN' && s.localPort === BASE + 10 && s.rxQueue === 3);
    has('an unaccepted ESTABLISHED', (s) => s.state === 'ESTABLISHED' && s.inode === 0);
    has('an unaccepted CLOSE_WAIT', (s) => s.state === 'CLOSE_WAIT' && s.inode === 0);
    has('a request socket of a non-root listener', (s) => s.state === 'SYN_RECV' && s.inode === 0 && s.uid === 65534);
    has('a v4-mapped request socket', (s) => s.state === 'SYN_RECV' && s.localAddress === '::ffff:127.0.0.1');
    has('unread data', (s) => s.rxQueue === 1000);

    assert.deepEqual(sorted(reads.diag), sorted(reads.proc));
    // SOCKDOC_LISTENER_EXTRAS=off (the benchmark's A/B): the same sockets, neither drops nor waits.
    assert.equal(reads.plainSource, 'sock_diag');
    assert.deepEqual(sorted(reads.plain), sorted(reads.proc));
    assert.deepEqual(reads.extras, { drops: true, waits: true });
    assert.deepEqual(reads.plainExtras, { drops: false, waits: false });
    assert.ok(reads.listenBacklogs, 'readListenBacklogs used sock_diag');
    assert.deepEqual(sortedPairs(reads.diagBacklogs), sortedPairs(reads.listenBacklogs));
    assert.ok(reads.diagBacklogs.some(([k, v]) => k.startsWith(`4|127.0.0.1|${BASE + 10}|`) && v === 2));
  } finally {
    for (const c of children) c.stdin?.end();
    const problems = destroyNetns(ns, children.map((c) => c.pid ?? 0).filter((p) => p > 0));
    assert.deepEqual(problems, [], 'cleanup');
  }
});
