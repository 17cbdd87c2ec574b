/**
 * Live provenance on this host (root only): a real supervisord (Debian's supervisor package) started
 * under `prlimit --nofile=1500:4000` with minfds=3000, then minfds raised and only reloaded; and a
 * program started by a shell that ran `ulimit -n 300`. Everything runs in a temp dir and is killed
 * in `finally`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { explainLimit } from './explain.js';
import { run } from '../cli/limits.js';
import type { Io } from '../cli/io.js';
import { alive, children, sleep, waitFor } from '../testing/live.js';

const isRoot = process.getuid?.() === 0;
const hasSupervisord = spawnSync('sh', ['-c', 'command -v supervisord && command -v supervisorctl'], { encoding: 'utf8' }).status === 0;

async function cli(args: string[]): Promise<string> {
  let out = '';
  const io: Io = { stdout: (t) => (out += t), stderr: () => undefined, env: {}, isTTY: false, stderrIsTTY: false, columns: 100 };
  assert.equal(await run(args, io), 0);
  return out;
}

async function stop(child: ChildProcess | null, pids: number[]): Promise<void> {
  if (child?.pid && alive(child.pid)) {
    child.kill('SIGTERM');
    for (let i = 0; i < 50 && child.exitCode === null && child.signalCode === null; i++) await sleep(100);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
}

test('a real supervisord: minfds named as the source, then a reload that does not apply it', { skip: !isRoot ? 'needs root: starts supervisord under prlimit' : !hasSupervisord ? 'needs supervisord (apt-get install supervisor)' : false }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-supervisord-'));
  const conf = join(dir, 'supervisord.conf');
  const write = (minfds: number) =>
    writeFileSync(
      conf,
      [
        '[unix_http_server]',
        `file=${dir}/supervisor.sock`,
        '',
        '[supervisord]',
        `logfile=${dir}/supervisord.log`,
        `pidfile=${dir}/supervisord.pid`,
        `childlogdir=${dir}`,
        `minfds=${minfds}`,
        '',
        '[rpcinterface:supervisor]',
        'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
        '',
        '[supervisorctl]',
        `serverurl=unix://${dir}/supervisor.sock`,
        '',
        '[program:sleeper]',
        'command=sleep 600',
        'startsecs=0',
        '',
      ].join('\n'),
    );
  write(3000);
  const ctl = (...a: string[]) => spawnSync('supervisorctl', ['-c', conf, ...a], { encoding: 'utf8', timeout: 10_000 });
  const sleeperPid = () => {
    const n = Number(ctl('pid', 'sleeper').stdout.trim());
    return Number.isInteger(n) && n > 0 && alive(n) ? n : null;
  };
  let child: ChildProcess | null = null;
  const seen: number[] = [];
  try {
    child = spawn('prlimit', ['--nofile=1500:4000', '--', 'supervisord', '-n', '-c', conf], { stdio: 'ignore' });
    const supervisord = child.pid as number;
    const first = await waitFor('the sleeper program', sleeperPid);
    seen.push(first);

    const o = explainLimit('/', first);
    assert.equal(o.soft, 3000);
    assert.equal(o.hard, 4000);
    assert.equal(o.source.layer, 'supervisord');
    assert.equal(o.source.pid, supervisord);
    assert.equal(o.source.file, conf);
    assert.equal(o.source.setting, 'minfds=3000');
    assert.deepEqual(o.chain.slice(0, 2).map((l) => l.name), ['sleep', 'supervisord']);
    assert.ok(!o.contradictions.some((c) => c.includes('minfds')), o.contradictions.join('\n'));

    write(3500);
    const r = ctl('reload');
    assert.equal(r.status, 0, r.stderr);
    // reload restarts the programs in the same supervisord: wait for a new sleeper.
    const second = await waitFor('the sleeper after reload', () => {
      const p = sleeperPid();
      return p !== null && p !== first ? p : null;
    });
    seen.push(second);
    assert.ok(alive(supervisord), 'supervisord itself must survive a reload');

    const after = explainLimit('/', second);
    assert.equal(after.soft, 3000, 'a reload must not re-apply minfds (supervisor options.py: first start only)');
    assert.equal(after.source.layer, 'supervisord');
    const stale = after.contradictions.find((c) => c.includes('minfds=3500'));
    assert.ok(stale, after.contradictions.join('\n'));
    assert.match(stale, /configured but not in effect/);
    assert.match(stale, /restarted/);
    assert.ok(after.fix.some((f) => f.includes(`supervisorctl -c ${conf} shutdown`)), after.fix.join('\n'));
    assert.ok(!after.fix.some((f) => /^supervisorctl .*reload/.test(f)), 'never propose reload as the fix');
    assert.match(after.fix[0], new RegExp(`^prlimit --pid ${second} --nofile=3500:4000`), 'relief first');
    assert.equal(after.steps?.[0].kind, 'relief');
    assert.match(after.steps?.find((s) => s.kind === 'restart')?.blastRadius ?? '', /stops every program supervisord runs \(1 seen: sleep \(pid \d+\)\)/);

    const text = (await cli([String(second)])).replace(/\s+/g, ' ');
    assert.match(text, /Set by supervisord \(pid \d+\)/);
    assert.match(text, /minfds=3500, but supervisord \(pid \d+\) runs with a soft limit of 3000/);
  } finally {
    if (existsSync(conf)) ctl('shutdown');
    await stop(child, seen);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a program started by a shell that ran ulimit -n is attributed to the shell', { skip: !isRoot ? 'needs root: reads other processes' : false }, async () => {
  const shell = spawn('bash', ['-c', 'ulimit -n 300; sleep 60; true'], { stdio: 'ignore' });
  const kids: number[] = [];
  try {
    const bash = shell.pid as number;
    const sleepPid = await waitFor('sleep under bash', () => children(bash).find((p) => readFileSync(`/proc/${p}/comm`, 'latin1').trim() === 'sleep') ?? null);
    kids.push(sleepPid);
    const o = explainLimit('/', sleepPid);
    assert.equal(o.soft, 300);
    assert.equal(o.hard, 300);
    assert.equal(o.source.layer, 'shell');
    assert.equal(o.source.pid, bash);
    assert.equal(o.source.setting, 'ulimit -n 300');
    assert.equal(o.source.file, undefined, 'found on the command line, not in a file');
    assert.match(o.source.reason, /ran `ulimit -n 300` \(its command line\)/);
  } finally {
    await stop(shell, kids);
  }
});
