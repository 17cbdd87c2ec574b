/**
 * `sockdoc sockets --json` must list the same TCP sockets as `ss -tanpH`, with the same owners.
 * ss reads sock_diag netlink; sockdoc reads a sock_diag dump of all states by default and
 * /proc/net/tcp{,6} with SOCKDOC_NET_SOURCE=proc (both are checked); both map inodes to processes
 * through /proc/PID/fd. The zoo (scripts/bench/scene.ts) runs in a namespace of its own: listeners v4, v6 and
 * dual-stack, established pairs, a never-accepted queue (inode 0), CLOSE_WAIT with and without an
 * owner, FIN_WAIT2, TIME_WAIT, SYN_SENT, v4-mapped addresses and a socket held by two processes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { cliPath, repoRoot } from '../testing/paths.js';
import { createNetns, destroyNetns, inNetns } from '../../scripts/bench/netns.js';
import { uniqueName } from '../testing/unique.js';
import { comparable, parseSockdocJson, parseSs, type SocketRow } from '../../scripts/bench/ss-rows.js';

const scene = join(repoRoot, 'dist', 'scripts', 'bench', 'scene.js');
const BASE = 6000;
const isRoot = process.getuid?.() === 0;

function startRole(ns: string, role: string): { child: ChildProcess; ready: Promise<string> } {
  const [cmd, args] = inNetns(ns, process.execPath, [scene, role, String(BASE)]);
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`scene ${role}: not ready after 15 s`)), 15_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('ready')) {
        clearTimeout(timer);
        resolve(line);
      } else if (line.startsWith('fail')) {
        clearTimeout(timer);
        reject(new Error(`scene ${role}: ${line}`));
      }
    });
    child.on('exit', (code) => reject(new Error(`scene ${role} exited ${code}`)));
  });
  return { child, ready };
}

function runIn(ns: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const [c, a] = inNetns(ns, cmd, args);
  const r = spawnSync(c, a, { encoding: 'utf8', timeout: 30_000, maxBuffer: 64 << 20, env });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
  return r.stdout;
}

/** ss, sockdoc, ss again: retried until both ss reads agree, so nothing moved in between. */
function stableReads(ns: string, netSource: 'sock_diag' | 'proc'): { ss: SocketRow[]; sockdoc: SocketRow[] } {
  const env = { ...process.env, SOCKDOC_NET_SOURCE: netSource };
  let last = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const before = parseSs(runIn(ns, 'ss', ['-tanpH']));
    // sockets lists every namespace by default: --netns narrows it to the one ss sees.
    const sockdoc = parseSockdocJson(runIn(ns, process.execPath, [cliPath, 'sockets', '--json', '--netns', ns], env));
    const after = parseSs(runIn(ns, 'ss', ['-tanpH']));
    if (JSON.stringify(comparable(before)) === JSON.stringify(comparable(after))) return { ss: before, sockdoc };
    last = `${comparable(before).length} vs ${comparable(after).length} rows`;
    spawnSync('sleep', ['0.5']);
  }
  throw new Error(`sockets kept changing between two ss reads (${last})`);
}

test('sockdoc sockets --json agrees with ss -tanpH on sockets and owners', { skip: isRoot ? false : 'needs root: creates a network namespace', timeout: 90_000 }, async () => {
  const ns = uniqueName('sockdoc-agree');
  const children: ChildProcess[] = [];
  createNetns(ns);
  try {
    const servers = [startRole(ns, 'acceptor'), startRole(ns, 'stuck')];
    children.push(...servers.map((s) => s.child));
    await Promise.all(servers.map((s) => s.ready));
    const clients = startRole(ns, 'clients');
    children.push(clients.child);
    const sharerPid = Number((await clients.ready).split(' ')[1]);

    const { ss, sockdoc } = stableReads(ns, 'sock_diag');

    // The zoo is what it claims to be, else agreement on it proves little.
    const has = (what: string, pred: (r: SocketRow) => boolean) => assert.ok(ss.some(pred), `scene lacks ${what}`);
    for (const st of ['LISTEN', 'ESTABLISHED', 'TIME_WAIT', 'CLOSE_WAIT', 'FIN_WAIT2', 'SYN_SENT'] as const) has(st, (r) => r.state === st);
    has('a full queue (Recv-Q 3 on backlog 2)', (r) => r.state === 'LISTEN' && r.local === `127.0.0.1:${BASE + 10}` && r.recvQ === 3);
    has('an unaccepted ESTABLISHED (no owner)', (r) => r.state === 'ESTABLISHED' && r.owners.length === 0);
    has('an unaccepted CLOSE_WAIT (no owner)', (r) => r.state === 'CLOSE_WAIT' && r.owners.length === 0);
    has('an owned CLOSE_WAIT', (r) => r.state === 'CLOSE_WAIT' && r.owners.length === 1);
    has('IPv6', (r) => r.local.startsWith('[::1]'));
    has('v4-mapped IPv6', (r) => r.local.startsWith('[::ffff:127.0.0.1]'));
    has('a dual-stack wildcard listener', (r) => r.state === 'LISTEN' && r.local === `[::]:${BASE + 2}`);
    has('a socket held by two processes', (r) => r.owners.length === 2 && r.owners.some((o) => o.pid === sharerPid && o.name === 'sleep'));
    has('unread data', (r) => r.recvQ === 1000);

    assert.deepEqual(comparable(sockdoc), comparable(ss), 'sockdoc via sock_diag');
    const viaProc = stableReads(ns, 'proc');
    assert.deepEqual(comparable(viaProc.sockdoc), comparable(viaProc.ss), 'sockdoc via /proc/net/tcp');
  } finally {
    for (const c of children) c.stdin?.end();
    const problems = destroyNetns(ns, children.map((c) => c.pid ?? 0).filter((p) => p > 0));
    assert.deepEqual(problems, [], 'cleanup');
  }
});
