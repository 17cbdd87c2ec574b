/**
 * Empty namespaces, live and replayed (issue 23: what a tenant creates must not set the cost). A
 * namespace whose sockstat counts no socket — an `ip netns` one nobody uses, a process's own
 * `unshare -n` — is read no further than that file: JSON `empty: true`, not partial, no note of its
 * own, tunables null and counters empty by design, and one sentence counts such namespaces. A
 * namespace holding only a unix-domain socket is read whole. A capture records the sockstat, and
 * its replay (--root) calls the same namespaces empty. A namespace a filter names (--netns) is read
 * whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath } from '../testing/paths.js';
import { uniqueName } from '../testing/unique.js';
import type { DiagnosisJson, NamespaceJson } from '../render/json.js';

const asRoot = process.getuid?.() === 0;
const hasTools = spawnSync('sh', ['-c', 'command -v ip && command -v python3 && command -v unshare'], { stdio: 'ignore' }).status === 0;
const skip = !asRoot ? 'needs root: creates network namespaces' : !hasTools ? 'needs ip, python3, unshare' : false;

const UNIX_ONLY = "import socket,time; s=socket.socket(socket.AF_UNIX); s.bind('\\0sockdoc-empty-live'); s.listen(); print('up', flush=True); time.sleep(120)";

function sockdoc(args: string[]): DiagnosisJson {
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: 100_000, maxBuffer: 256 << 20 });
  assert.ok(r.status !== null && r.status <= 2, `sockdoc ${args.join(' ')}: ${r.status} ${r.stderr}`);
  return JSON.parse(r.stdout) as DiagnosisJson;
}

function started(p: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    p.stdout!.once('data', () => resolve());
    p.once('exit', (code) => reject(new Error(`exited (${code})`)));
  });
}

function assertEmpty(ns: NamespaceJson | undefined, what: string): void {
  assert.ok(ns, `${what} was read`);
  assert.equal(ns.empty, true, `${what}: ${JSON.stringify(ns)}`);
  assert.equal(ns.partial, false, ns.notes.join(' '));
  assert.deepEqual(ns.notes, []);
  assert.equal(ns.tunables['net.core.somaxconn'], null);
  assert.deepEqual(ns.counters.values, {});
  assert.equal(ns.listenerCount, 0);
}

test('empty namespaces (ip netns, unshare -n) are read no further than their sockstat, live and in a replay; a unix-only one is read whole', { skip, timeout: 240_000 }, async () => {
  const named = uniqueName('sockdoc-empty');
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-empty-capture-'));
  const held: ChildProcess[] = [];
  try {
    assert.equal(spawnSync('ip', ['netns', 'add', named]).status, 0);
    // A process-only namespace (no /run/netns name): its process is how it is found and entered.
    const lone = spawn('unshare', ['-n', 'python3', '-c', "import time; print('up', flush=True); time.sleep(120)"], { stdio: ['ignore', 'pipe', 'inherit'] });
    held.push(lone);
    const unixOnly = spawn('unshare', ['-n', 'python3', '-c', UNIX_ONLY], { stdio: ['ignore', 'pipe', 'inherit'] });
    held.push(unixOnly);
    await Promise.all([started(lone), started(unixOnly)]);

    const live = sockdoc(['--json', '--interval', '300ms']);
    const byPid = (j: DiagnosisJson, pid: number) => j.namespaces.find((n) => n.pids.includes(pid));
    assertEmpty(live.namespaces.find((n) => n.name === named), 'the ip netns one');
    assertEmpty(byPid(live, lone.pid!), 'the unshare -n one');
    const u = byPid(live, unixOnly.pid!);
    assert.ok(u && !u.empty, 'a unix socket is a socket');
    assert.ok(u.tunables['net.core.somaxconn'] !== null, 'read whole');
    assert.equal(u.unixSource, 'unix_diag');
    assert.ok(live.unixListeners.some((l) => l.netns === u.inode && l.path === '@sockdoc-empty-live'), 'its unix listener is listed');
    const empties = live.namespaces.filter((n) => n.empty).length;
    assert.ok(live.notes.includes(`${empties} network namespaces held no socket (their sockstat: none in use, none in TIME_WAIT): only that was read of them, and nothing in them can queue, drop or leak a connection.`), live.notes.join('\n'));

    // A namespace a filter names is read whole, empty or not: what stayed in it (the drop counters of
    // a server that exited, its sysctls) is what the person asking wants to see.
    const asked = sockdoc(['--json', '--interval', '300ms', '--netns', named]);
    const an = asked.namespaces.find((n) => n.name === named);
    assert.ok(an && !an.empty, `--netns ${named}: ${JSON.stringify(an)}`);
    assert.ok(an.tunables['net.core.somaxconn'] !== null, 'its sysctls read');
    assert.ok(Object.keys(an.counters.values).length > 0, 'its counters read');

    // A capture of the two processes' namespaces, replayed: the same answer from the sockstat it recorded.
    const c = spawnSync(process.execPath, [cliPath, 'capture', dir, '--pid', `${lone.pid},${unixOnly.pid}`, '--interval', '0'], { encoding: 'utf8', timeout: 100_000 });
    assert.equal(c.status, 0, c.stderr);
    const replay = sockdoc(['--json', '--root', dir]);
    assertEmpty(byPid(replay, lone.pid!), 'the unshare -n one, replayed');
    const ru = byPid(replay, unixOnly.pid!);
    assert.ok(ru && !ru.empty && ru.tunables['net.core.somaxconn'] !== null, 'the unix-only one, replayed whole');
  } finally {
    for (const p of held) p.kill('SIGKILL');
    spawnSync('ip', ['netns', 'del', named], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
});
