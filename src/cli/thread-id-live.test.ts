/**
 * A thread id (what `top -H` and `ps -L` show) gives the same answer as its process id, in every
 * command that takes a pid: diagnose --pid, sockets --pid, limits. A live python3 with a second
 * thread, a listener and 17 of 20 fds open (fd-limit-near), bounded and killed afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { cliPath } from '../testing/paths.js';

const PY = `
import socket, threading, time, sys
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(16)
files = [open('/dev/null') for _ in range(12)]
threading.Thread(target=lambda: time.sleep(30), daemon=True).start()
print(s.getsockname()[1], flush=True)
time.sleep(30)
`;

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, o[k]]));
}

const hasPython = spawnSync('python3', ['-c', 'pass']).status === 0;

function json(args: string[]): { code: number | null; out: unknown; stderr: string } {
  const r = spawnSync(process.execPath, [cliPath, ...args, '--json'], { encoding: 'utf8', timeout: 30_000, maxBuffer: 256 << 20 }); // a host with many namespaces writes MBs
  return { code: r.status, out: JSON.parse(r.stdout || 'null'), stderr: r.stderr };
}

test('live: a thread id gives the same answer as its process, in diagnose, sockets and limits', { skip: hasPython ? false : 'needs python3', timeout: 60_000 }, async () => {
  const child = spawn('prlimit', ['--nofile=20:20', 'python3', '-c', PY], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    assert.match(line.toString(), /^\d+/);
    const pid = child.pid!;
    const tid = readdirSync(`/proc/${pid}/task`).map(Number).find((t) => t !== pid);
    assert.ok(tid, 'python3 has a second thread');
    for (const [name, withId] of [
      ['diagnose', (id: number) => ['--interval', '0', '--pid', String(id)]],
      ['sockets', (id: number) => ['sockets', '--pid', String(id)]],
      ['limits', (id: number) => ['limits', String(id)]],
    ] as const) {
      const byPid = json(withId(pid));
      const byTid = json(withId(tid));
      assert.equal(byTid.code, byPid.code, `${name}: ${byTid.stderr}`);
      // The diagnosis also carries host-wide counters and timings that move between two runs: compare what is about the process.
      if (name === 'diagnose') for (const r of [byPid, byTid]) r.out = pick(r.out as Record<string, unknown>, ['filter', 'findings', 'processes', 'listeners', 'exitCode']);
      assert.deepEqual(byTid.out, byPid.out, `${name} by thread id ${tid} differs from by pid ${pid}`);
      assert.match(byTid.stderr, new RegExp(`${tid} is a thread of process ${pid}`));
    }
    const diag = json(['--interval', '0', '--pid', String(tid)]).out as { findings: Array<{ id: string; subject: { pid?: number } }> };
    assert.ok(diag.findings.some((f) => f.id === 'fd-limit-near' && f.subject.pid === pid), JSON.stringify(diag.findings.map((f) => f.id)));
  } finally {
    child.kill('SIGKILL');
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
  }
});
