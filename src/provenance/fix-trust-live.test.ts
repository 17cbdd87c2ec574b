/**
 * Live attack tests of issue 18 (root only): fix lines a root user pastes. A local user (nobody)
 * runs (a) its own pm2 daemon, PM2_HOME in its own directory, and (b) its own script named
 * `supervisord` holding a listener. Every line `sockdoc limits` prints is pasted, in order, into a
 * root shell (bash -c, as root). The user's programs write a marker named after their effective
 * uid each time they start: after the paste no marker-0 may exist (the user's code never ran as
 * root), and every line either ran the user's code as the user or names its owner. Every relief
 * line runs for real and takes effect; none is offered beyond what its runner can apply (root here
 * lacks CAP_SYS_RESOURCE: hard limits top out at 20000). Everything started is killed in `finally`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, repoRoot } from '../testing/paths.js';
import { alive, children, sleep, waitFor } from '../testing/live.js';
import type { FixStep } from './fix.js';
import { canRaiseHard } from './host-facts.js';
import { newContext } from './context.js';

const isRoot = process.getuid?.() === 0;
const PM2 = join(repoRoot, 'node_modules', '.bin', 'pm2');
const NOBODY = 65534;
const rootCanRaise = isRoot && canRaiseHard(newContext(), '/', 'self') === true;
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

interface Explained {
  pid: number;
  soft: number;
  hard: number;
  source: { layer: string; launcher?: string; pid: number };
  fix: string[];
  steps: FixStep[];
  notes: string[];
}

function limits(pid: number): Explained {
  const r = spawnSync(process.execPath, [cliPath, 'limits', String(pid), '--json'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as Explained[])[0];
}

function nofile(pid: number): [number, number] {
  const m = /^Max open files\s+(\d+)\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'latin1'));
  assert.ok(m);
  return [Number(m[1]), Number(m[2])];
}

/** A directory of the user's own, reachable by it. */
function userDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(d, 0o755);
  chownSync(d, NOBODY, NOBODY);
  return d;
}

function markers(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.startsWith('marker-')).sort();
}

/** Pastes each line into a root shell (bash -c, uid 0), in order; returns each exit status. */
function paste(lines: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Array<{ line: string; status: number | null; err: string }> {
  return lines.map((line) => {
    const r = spawnSync('bash', ['-c', line], { env, cwd, encoding: 'utf8', timeout: 60_000 });
    return { line, status: r.status, err: r.stderr.slice(-300) };
  });
}

/** Every line that runs a program: a comment, or one that starts as the user (runuser -u nobody) or names uid 65534 / nobody. */
function namesTheUser(line: string): boolean {
  const code = line.replace(/^\s+/, '');
  return code.startsWith('#') || /^runuser -u nobody (-g \S+ )?-- /.test(code) || /nobody|65534/.test(line);
}

test('live attack: a user\'s own pm2 (PM2_HOME in its directory): every printed line pasted as root; the app never runs as root, and the restart gives it more', { skip: !isRoot ? 'needs root' : !existsSync(PM2) ? 'pm2 is a devDependency: run npm install' : !has('runuser') ? 'needs runuser (util-linux)' : false, timeout: 120_000 }, async () => {
  const home = userDir('sockdoc-pm2-user-');
  const pm2Home = join(home, '.pm2');
  const bin = mkdtempSync(join(tmpdir(), 'sockdoc-pm2-bin-'));
  chmodSync(bin, 0o755);
  symlinkSync(PM2, join(bin, 'pm2'));
  // The user's app: writes marker-<euid> next to itself at every start, then idles.
  const app = join(home, 'app.js');
  writeFileSync(app, `require('fs').writeFileSync(require('path').join(__dirname, 'marker-' + process.geteuid()), '');\nsetInterval(() => {}, 1000);\n`);
  chownSync(app, NOBODY, NOBODY);
  // Root's shell: its PATH finds `pm2` (as an operator's would, from /usr/local/bin); runuser keeps PATH.
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, PM2_DISCRETE_MODE: 'true' };
  const asUser = (shell: string) => spawnSync('runuser', ['-u', 'nobody', '--', 'env', `PM2_HOME=${pm2Home}`, `HOME=${home}`, 'bash', '-c', shell], { env, cwd: home, encoding: 'utf8', timeout: 60_000 });
  let appPid: number | undefined;
  const daemonPid = () => (existsSync(join(pm2Home, 'pm2.pid')) ? Number(readFileSync(join(pm2Home, 'pm2.pid'), 'utf8').trim()) : undefined);
  try {
    const started = asUser(`ulimit -n 1500 && pm2 start ${app} --name web`);
    assert.equal(started.status, 0, started.stderr);
    const daemon = await waitFor('the user pm2 daemon', () => daemonPid() ?? null);
    appPid = await waitFor('the app', () => children(daemon).find((c) => alive(c)) ?? null);
    await waitFor('the first marker', () => (markers(home).length ? true : null));
    assert.deepEqual(markers(home), [`marker-${NOBODY}`]);
    assert.deepEqual(nofile(appPid), [1500, 1500]);
    rmSync(join(home, `marker-${NOBODY}`));

    const o = limits(appPid);
    assert.equal(o.source.launcher, 'pm2');
    // Every line is the user's (runuser -u nobody, PM2_HOME stated) or a comment; none is a bare `pm2` for root.
    for (const line of o.fix) assert.ok(namesTheUser(line), `a line that does not run as the user nor name it:\n${line}\n---\n${o.fix.join('\n')}`);
    assert.ok(o.fix.some((l) => l.startsWith(`runuser -u nobody -- env PM2_HOME=${pm2Home} pm2 save`)), o.fix.join('\n'));
    // The app is at its hard limit 1500 and root lacks CAP_SYS_RESOURCE (this machine): no relief line, a note instead.
    if (!rootCanRaise) {
      assert.deepEqual(o.steps.filter((s) => s.kind === 'relief'), []);
      assert.ok(o.notes.some((n) => /No relief without a restart: .* is at its hard limit 1500/.test(n)), o.notes.join('\n'));
    }
    // The value is what nobody can set under runuser from this shell (root's hard limit, 20000 here), with what to raise to go higher.
    const restart = o.steps.find((s) => s.kind === 'restart');
    // What nobody can set under runuser from this shell: the shell's hard limit (65536 is the usual proposal).
    const selfHard = Math.min(65536, nofile(process.pid)[1]);
    assert.ok(restart?.lines.some((l) => l.includes(`ulimit -n ${selfHard} && exec pm2 resurrect`)), JSON.stringify(restart));
    assert.equal(restart?.needs, undefined);

    const pasted = paste(o.fix, env, tmpdir());
    for (const p of pasted) assert.equal(p.status, 0, `${p.line}: ${p.err}`);
    const again = await waitFor('the app under the new daemon', () => {
      const d = daemonPid();
      return d && alive(d) ? (children(d).find((c) => alive(c) && c !== appPid) ?? null) : null;
    });
    appPid = again;
    await waitFor('the marker of the resurrected app', () => (markers(home).length ? true : null));
    assert.deepEqual(markers(home), [`marker-${NOBODY}`], 'the app started again as the user, never as root');
    assert.deepEqual(nofile(again), [selfHard, selfHard], 'the restart as written gave the app the limit it promised');
    assert.equal(readFileSync(`/proc/${again}/status`, 'latin1').match(/^Uid:\s+(\d+)/m)?.[1], String(NOBODY));
  } finally {
    asUser('pm2 kill');
    for (const p of [appPid, daemonPid()]) if (p && alive(p)) process.kill(p, 'SIGKILL');
    rmSync(home, { recursive: true, force: true });
    rmSync(bin, { recursive: true, force: true });
  }
});

/**
 * The user's "supervisord": a Python script that writes marker-<euid>, daemonizes as supervisord
 * does (the command returns; the daemon is reparented, its stdio on /dev/null), writes its pid and
 * holds a loopback listener.
 */
const FAKE_SUPERVISORD = `#!/usr/bin/python3
import os, socket, sys, time
here = os.path.dirname(os.path.abspath(__file__))
open(os.path.join(here, 'marker-%d' % os.geteuid()), 'w').close()
if os.fork():
    sys.exit(0)
os.setsid()
null = os.open(os.devnull, os.O_RDWR)
for fd in (0, 1, 2):
    os.dup2(null, fd)
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(8)
open(os.path.join(here, 'pid-%d' % os.geteuid()), 'w').write(str(os.getpid()))
time.sleep(600)
`;

/** Pids of the fake daemon, from its pid files; removed as they are read. */
function daemonPids(dir: string): number[] {
  const out: number[] = [];
  for (const f of readdirSync(dir).filter((x) => x.startsWith('pid-'))) {
    const n = Number(readFileSync(join(dir, f), 'utf8'));
    if (Number.isInteger(n) && n > 0) out.push(n);
  }
  return out;
}

test('live attack: a user-owned script named supervisord holding a listener: the pasted restart never runs it as root, and names its owner', { skip: !isRoot ? 'needs root' : !has('runuser') || !has('python3') ? 'needs runuser and python3' : false, timeout: 120_000 }, async () => {
  const dir = userDir('sockdoc-fake-sd-');
  const script = join(dir, 'supervisord');
  const conf = join(dir, 's.conf');
  writeFileSync(script, FAKE_SUPERVISORD, { mode: 0o755 });
  writeFileSync(conf, '[supervisord]\nminfds=1024\n');
  for (const f of [script, conf]) chownSync(f, NOBODY, NOBODY);
  const daemons = new Set<number>();
  const daemonOf = (uid: number) => waitFor(`the fake supervisord of uid ${uid}`, () => {
    const f = join(dir, `pid-${uid}`);
    if (!existsSync(f)) return null;
    const n = Number(readFileSync(f, 'utf8'));
    if (!Number.isInteger(n) || n <= 0 || !alive(n)) return null;
    rmSync(f);
    daemons.add(n);
    return n;
  });
  try {
    // (1) The user runs it itself, from a shell with 2000:2000; it daemonizes.
    const u = spawnSync('runuser', ['-u', 'nobody', '--', 'bash', '-c', `ulimit -n 2000; exec ${script} -c ${conf}`], { cwd: dir, timeout: 20_000 });
    assert.equal(u.status, 0);
    const userSd = await daemonOf(NOBODY);
    rmSync(join(dir, `marker-${NOBODY}`));
    const o = limits(userSd);
    for (const line of o.fix) assert.ok(namesTheUser(line), `a line that neither runs as the user nor names it:\n${line}\n---\n${o.fix.join('\n')}`);
    assert.ok(o.fix.some((l) => l.startsWith(`runuser -u nobody -- ${script} -c ${conf}`)), o.fix.join('\n'));
    // 2000:2000 is its hard limit: root without CAP_SYS_RESOURCE has no relief to offer ("run it as uid 65534" would fail too).
    if (!rootCanRaise) assert.deepEqual(o.steps.filter((s) => s.kind === 'relief'), []);
    assert.ok(!o.fix.some((l) => /run it as uid/.test(l)), o.fix.join('\n'));
    process.kill(userSd, 'SIGKILL');
    const results = paste(o.fix, process.env, tmpdir());
    // The start line ran the user's script as the user: a new marker and daemon, and no marker-0.
    const again = await daemonOf(NOBODY);
    assert.deepEqual(markers(dir), [`marker-${NOBODY}`], `pasted:\n${results.map((r) => `${r.status} ${r.line}`).join('\n')}`);
    assert.equal(readFileSync(`/proc/${again}/status`, 'latin1').match(/^Uid:\s+(\d+)/m)?.[1], String(NOBODY));
    process.kill(again, 'SIGKILL');
    rmSync(join(dir, `marker-${NOBODY}`));

    // (2) Root itself started the user's file (a careless unit or cron line): the lines must not run it again as root.
    const r = spawnSync('bash', ['-c', `ulimit -n 3000; exec ${script} -c ${conf}`], { cwd: dir, timeout: 20_000 });
    assert.equal(r.status, 0);
    const rootSd = await daemonOf(0);
    rmSync(join(dir, 'marker-0'));
    const o2 = limits(rootSd);
    assert.ok(!o2.fix.some((l) => !l.trimStart().startsWith('#') && l.replace(/ {3}#.*$/, '').includes(script)), `a command line runs the user's file as root:\n${o2.fix.join('\n')}`);
    assert.ok(o2.fix.some((l) => /^# do not run that as root: .*supervisord is owned by uid 65534 \(nobody\)/.test(l)), o2.fix.join('\n'));
    // supervisorctl would read the user's config as root: the stop is a signal instead.
    assert.ok(o2.fix.some((l) => l.startsWith(`kill -TERM ${rootSd}`)), o2.fix.join('\n'));
    paste(o2.fix, process.env, tmpdir());
    await sleep(500);
    assert.ok(!markers(dir).includes('marker-0'), `the user's file ran as root after the paste:\n${o2.fix.join('\n')}`);
  } finally {
    for (const p of [...daemons, ...daemonPids(dir)]) if (alive(p)) process.kill(p, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
