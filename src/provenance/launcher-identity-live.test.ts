/**
 * Live (root only): a name is not an identity. An ordinary user (uid 65534, through setpriv) runs a
 * copy of sleep named `cron` with a lowered limit: sockdoc does not call it a cron session nor tell
 * root to edit limits.d; the same copy run by root from a directory the user owns is not the
 * system's cron either. A script started by its #! line (comm run2.sh, exe bash) is a shell whose
 * script ran `ulimit -n`, never "not a shell". Every process is its own, killed in `finally`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath } from '../testing/paths.js';
import { children, waitFor } from '../testing/live.js';

const isRoot = process.getuid?.() === 0;
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const skip = !isRoot ? 'needs root' : !has('setpriv') ? 'needs setpriv (util-linux)' : false;
const USER = 65534;

interface Explained {
  source: { layer: string; reason: string };
  fix: string[];
  notes: string[];
}

function limits(pid: number): Explained {
  const r = spawnSync(process.execPath, [cliPath, 'limits', String(pid), '--json'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as Explained[])[0];
}

/** Starts argv in a process group of its own; the group dies in `stop`. */
function start(argv: string[]): ChildProcess {
  return spawn(argv[0], argv.slice(1), { detached: true, stdio: 'ignore' });
}

function stop(p: ChildProcess | undefined): void {
  if (p?.pid) {
    try {
      process.kill(-p.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

test('live: a user\'s process named cron (uid 65534, and root running the user\'s copy) is not a cron session: no limits.d edit for root', { skip, timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-fakecron-'));
  chmodSync(dir, 0o755);
  chownSync(dir, USER, USER);
  const fake = join(dir, 'cron');
  copyFileSync('/bin/sleep', fake);
  chmodSync(fake, 0o755);
  chownSync(fake, USER, USER);
  const procs: ChildProcess[] = [];
  try {
    for (const as of ['user', 'root'] as const) {
      // prlimit lowers the limit below the parent's, so the fake cron is the origin of the value.
      const pre = ['prlimit', '--nofile=300:400', '--'];
      const argv = as === 'user' ? ['setpriv', `--reuid=${USER}`, `--regid=${USER}`, '--clear-groups', '--', ...pre, fake, '60'] : [...pre, fake, '60'];
      const p = start(argv);
      procs.push(p);
      const pid = await waitFor('the fake cron', () => {
        const r = spawnSync('pgrep', ['-g', String(p.pid), '-x', 'cron'], { encoding: 'utf8' });
        return r.stdout.trim() ? Number(r.stdout.trim().split('\n')[0]) : null;
      });
      const o = limits(pid);
      assert.notEqual(o.source.layer, 'cron', `${as}: ${JSON.stringify(o.source)}`);
      assert.ok(!o.fix.some((l) => /limits\.d/.test(l)), `${as}: root is told to edit limits.d:\n${o.fix.join('\n')}`);
      assert.ok(o.notes.some((n) => /(is named like cron but|which is not the system's cron).*: it is not taken as cron\./.test(n)), `${as}: ${o.notes.join(' | ')}`);
    }
  } finally {
    for (const p of procs) stop(p);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('live: a script started by its #! line (comm run2.sh, exe bash) that ran ulimit -n is explained as that shell script', { skip, timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-shebang-'));
  chmodSync(dir, 0o755);
  const script = join(dir, 'run2.sh');
  writeFileSync(script, '#!/bin/bash\nulimit -n 300\nsleep 60\ntrue\n');
  chmodSync(script, 0o755);
  chownSync(script, USER, USER);
  let p: ChildProcess | undefined;
  try {
    p = start(['setpriv', `--reuid=${USER}`, `--regid=${USER}`, '--clear-groups', '--', script]);
    const sh = p.pid as number;
    const child = await waitFor('the sleep below run2.sh', () => children(sh).find((c) => spawnSync('cat', [`/proc/${c}/comm`], { encoding: 'utf8' }).stdout.trim() === 'sleep') ?? null);
    const o = limits(child);
    assert.equal(o.source.layer, 'shell', JSON.stringify(o.source));
    assert.doesNotMatch(o.source.reason, /not a shell/);
    assert.match(o.source.reason, /ulimit -n 300/);
  } finally {
    stop(p);
    rmSync(dir, { recursive: true, force: true });
  }
});
