/**
 * Live checks of issue 9 (root only): the real pm2 from npm (a devDependency) whose daemon fixes
 * every app's limit; fixes that must work where the hard limit is below a would-be suggestion
 * (root here lacks CAP_SYS_RESOURCE: every step is run, and either succeeds or was flagged and
 * fails); a `bash /dev/stdin` launcher. Everything started is killed in `finally`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, repoRoot } from '../testing/paths.js';
import { alive, children, sleep, waitFor } from '../testing/live.js';
import { explainLimit } from './explain.js';
import { canRaiseHard } from './host-facts.js';
import { newContext } from './context.js';
import type { FixStep } from './fix.js';

const isRoot = process.getuid?.() === 0;
const PM2 = join(repoRoot, 'node_modules', '.bin', 'pm2');

function nofileOf(pid: number): [number, number] {
  const row = /^Max open files\s+(\d+)\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'latin1'));
  assert.ok(row, `no nofile row for ${pid}`);
  return [Number(row[1]), Number(row[2])];
}

function kill(pids: Array<number | undefined>): void {
  for (const pid of pids) if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
}

/** Runs each relief step (prlimit, maybe as the process's owner): unflagged ones must succeed and take effect, flagged ones must fail. */
function runRelief(steps: readonly FixStep[]): { ran: number; flaggedFailed: number } {
  let ran = 0;
  let flaggedFailed = 0;
  for (const s of steps.filter((x) => x.kind === 'relief')) {
    for (const line of s.lines) {
      const m = /^(?:runuser -u \S+ (?:-g \S+ )?-- )?prlimit --pid (\d+) --nofile=(\d+):(\d+)$/.exec(line);
      assert.ok(m, `relief line is not a plain prlimit: ${line}`);
      const r = spawnSync('sh', ['-c', line], { encoding: 'utf8', timeout: 10_000 });
      if (s.needs) {
        assert.notEqual(r.status, 0, `flagged as needing ${s.needs}, yet it worked: ${line}`);
        flaggedFailed++;
      } else {
        assert.equal(r.status, 0, `${line}: ${r.stderr}`);
        assert.deepEqual(nofileOf(Number(m[1])), [Number(m[2]), Number(m[3])]);
        ran++;
      }
    }
  }
  return { ran, flaggedFailed };
}

test('this machine lacks CAP_SYS_RESOURCE, as the live fix tests assume (read from /proc/self/status)', { skip: !isRoot ? 'needs root' : false }, () => {
  assert.equal(canRaiseHard(newContext(), '/', 'self'), false, 'if this host can raise hard limits, the flagged-step checks below prove nothing');
});

test('hard limit below the would-be suggestion: every suggested command works; what cannot is not offered, and says what to raise', { skip: !isRoot ? 'needs root' : false }, async () => {
  // Two programs started by shells: one at 1000:2000 (room up to its hard limit), one at 2000:2000
  // (none). The usual suggestion, 65536, is above both and above this shell's own hard limit.
  const shells = [spawn('bash', ['-c', 'ulimit -S -n 1000; ulimit -H -n 2000; sleep 60; true'], { stdio: 'ignore' }), spawn('bash', ['-c', 'ulimit -n 2000; sleep 60; true'], { stdio: 'ignore' })];
  const targets: number[] = [];
  try {
    for (const sh of shells) targets.push(await waitFor('sleep under bash', () => children(sh.pid as number).find((p) => readFileSync(`/proc/${p}/comm`, 'latin1').trim() === 'sleep') ?? null));
    const selfHard = nofileOf(process.pid)[1];
    const [roomy, full] = targets.map((t) => explainLimit('/', t));
    assert.deepEqual([roomy.soft, roomy.hard, full.soft, full.hard], [1000, 2000, 2000, 2000]);
    for (const o of [roomy, full]) {
      for (const st of o.steps ?? []) assert.ok(!st.lines.some((l) => l.includes('65536')), `a value above what can be applied is offered:\n${o.fix.join('\n')}`);
    }
    // Room below the hard limit: the raise to it works, first.
    assert.equal(roomy.steps?.[0]?.kind, 'relief', 'relief first');
    assert.deepEqual(roomy.steps?.[0].lines, [`prlimit --pid ${targets[0]} --nofile=2000:2000`]);
    assert.deepEqual(runRelief(roomy.steps ?? []), { ran: 1, flaggedFailed: 0 });
    // No room: raising the hard limit needs CAP_SYS_RESOURCE, which root lacks here: no relief line, a note.
    assert.deepEqual((full.steps ?? []).filter((st) => st.kind === 'relief'), []);
    assert.ok(full.notes?.some((n) => /No relief without a restart: sleep \(pid \d+\) is at its hard limit 2000/.test(n)), (full.notes ?? []).join('\n'));
    // The durable line for the shell asks for no more than a shell here can set, and works when run.
    for (const o of [roomy, full]) {
      const durable = o.steps?.find((st) => st.kind === 'durable');
      const ulimit = durable?.lines.find((l) => l.startsWith('ulimit -n '));
      assert.ok(ulimit && !durable?.needs, JSON.stringify(durable));
      assert.equal(ulimit.replace(/\s+#.*$/, ''), `ulimit -n ${selfHard}`);
      const ok = spawnSync('bash', ['-c', `${ulimit.replace(/\s+#.*$/, '')} && ulimit -n`], { encoding: 'utf8' });
      assert.equal(ok.status, 0, `${ulimit}: ${ok.stderr}`);
      assert.equal(ok.stdout.trim(), String(selfHard));
    }
  } finally {
    kill([...targets, ...shells.map((s) => s.pid)]);
  }
});

test('the real pm2: the daemon holds the limit, `ulimit -n` before `pm2 start` changes nothing, and the fix says so', { skip: !isRoot ? 'needs root' : !existsSync(PM2) ? 'pm2 is a devDependency: run npm install' : false, timeout: 60_000 }, async () => {
  const home = mkdtempSync(join(tmpdir(), 'sockdoc-pm2-'));
  const app = join(home, 'app.js');
  writeFileSync(app, 'setInterval(() => {}, 1000);\n');
  const env = { ...process.env, PM2_HOME: home, PM2_DISCRETE_MODE: 'true' };
  const pm2 = (shell: string) => spawnSync('bash', ['-c', shell], { env, encoding: 'utf8', timeout: 30_000 });
  let daemon: number | undefined;
  const apps: number[] = [];
  try {
    // The daemon starts with the first command's shell limit (Node raises soft to hard: 1500:1500).
    const first = pm2(`ulimit -n 1500 && ${PM2} start ${app} --name first`);
    assert.equal(first.status, 0, first.stderr);
    daemon = Number(readFileSync(join(home, 'pm2.pid'), 'utf8').trim());
    // A later start from a shell with a higher limit: the app is still forked by the same daemon.
    const second = pm2(`ulimit -n 3000 && ${PM2} start ${app} --name second`);
    assert.equal(second.status, 0, second.stderr);
    const appPid = await waitFor('the second app', () => {
      const r = pm2(`${PM2} pid second`);
      const n = Number(r.stdout.trim().split('\n').pop());
      return Number.isInteger(n) && n > 0 && alive(n) ? n : null;
    });
    apps.push(...children(daemon));
    assert.deepEqual(nofileOf(appPid), [1500, 1500], 'pm2 apps inherit the daemon, not the shell of `pm2 start`');

    const o = explainLimit('/', appPid);
    assert.equal(o.source.layer, 'launcher');
    assert.equal(o.source.launcher, 'pm2');
    assert.equal(o.source.pid, daemon);
    assert.equal(o.source.value, '1500:1500');
    assert.match(o.source.reason, /`ulimit -n` before `pm2 start` or `pm2 restart` changes only the pm2 command, not the daemon/);
    const restart = o.steps?.find((s) => s.kind === 'restart');
    assert.ok(restart?.lines.includes(`env PM2_HOME=${home} pm2 kill`), JSON.stringify(restart));
    assert.match(restart?.blastRadius ?? '', /stops every app pm2 runs \(2 seen/);
    // The app and the daemon are at their hard limit already and root lacks CAP_SYS_RESOURCE: no relief line for either, a note each.
    assert.deepEqual((o.steps ?? []).filter((s) => s.kind === 'relief'), []);
    for (const pid of [appPid, daemon]) assert.ok(o.notes?.some((n) => n.includes(`(pid ${pid}) is at its hard limit 1500`)), (o.notes ?? []).join('\n'));
    // The restart, as suggested (value within this shell's hard limit), really gives the apps more.
    assert.equal(restart?.needs, undefined);
    const save = pm2(`${PM2} save`);
    assert.equal(save.status, 0, save.stderr);
    for (const line of restart?.lines ?? []) {
      const r = pm2(line.replace(/(^|\s)pm2 /g, `$1${PM2} `));
      assert.equal(r.status, 0, `${line}: ${r.stderr}`);
    }
    daemon = Number(readFileSync(join(home, 'pm2.pid'), 'utf8').trim());
    const again = await waitFor('an app of the new daemon', () => (daemon && alive(daemon) ? (children(daemon)[0] ?? null) : null));
    apps.push(again);
    const [soft, hard] = nofileOf(again);
    assert.ok(soft > 1500 && hard > 1500, `after the suggested restart the app has ${soft}:${hard}`);
  } finally {
    spawnSync('bash', ['-c', `${PM2} kill`], { env, timeout: 30_000 });
    kill([...apps, daemon]);
    rmSync(home, { recursive: true, force: true });
  }
});

test('a `bash /dev/stdin` launcher: sockdoc neither blocks on its own stdin nor invents a source from it', { skip: !isRoot ? 'needs root' : false, timeout: 30_000 }, async () => {
  // The launcher reads its script from a pipe (a FIFO; Node's own stdio pipes are sockets, which /dev/stdin cannot open) that stays open.
  const launcher: ChildProcess = spawn('bash', ['-c', "{ printf 'ulimit -n 333\\nsleep 60\\n'; sleep 60; } | bash /dev/stdin"], { stdio: 'ignore' });
  let target: number | undefined;
  let bash: number | undefined;
  try {
    const outer = launcher.pid as number;
    bash = await waitFor('bash /dev/stdin', () => children(outer).find((p) => readFileSync(`/proc/${p}/cmdline`, 'latin1') === 'bash\0/dev/stdin\0') ?? null);
    const reader = bash;
    target = await waitFor('sleep under bash /dev/stdin', () => children(reader).find((p) => readFileSync(`/proc/${p}/comm`, 'latin1').trim() === 'sleep') ?? null);
    // sockdoc's own stdin is a pipe holding a different ulimit line, never closed: reading it would block or mislead.
    const child = spawn(process.execPath, [cliPath, 'limits', String(target), '--json'], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.write('ulimit -n 999\n');
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const code = await Promise.race([new Promise<number | null>((r) => child.on('exit', (c) => r(c))), sleep(15_000).then(() => 'timeout' as const)]);
    if (code === 'timeout') child.kill('SIGKILL');
    assert.equal(code, 0, 'sockdoc must finish without reading its stdin');
    const [o] = JSON.parse(out) as Array<{ source: { layer: string; pid: number; file?: string; setting?: string; reason: string }; notes: string[] }>;
    assert.equal(o.source.layer, 'shell');
    assert.equal(o.source.pid, bash);
    assert.equal(o.source.file, undefined, 'no file is named as the source');
    assert.equal(o.source.setting, 'ulimit -n', 'the statement itself was not seen, so none is quoted');
    // 999 as a number of its own (a pid or an inode may well contain the digits 999).
    assert.ok(!/(^|[^0-9])999([^0-9]|$)/.test(out), 'nothing from sockdoc\'s own stdin appears');
    assert.ok(o.notes.some((n) => /its script is \/dev\/stdin, a pipe or device/.test(n)), o.notes.join('\n'));
  } finally {
    for (const p of launcher.pid ? children(launcher.pid) : []) kill(children(p));
    kill([target, bash, ...(launcher.pid ? children(launcher.pid) : []), launcher.pid]);
  }
});
