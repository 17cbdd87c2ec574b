/**
 * Live (root, supervisord): issue 18's hostile glob. A local user (nobody) runs its own real
 * supervisord with `-c ~/s.conf` whose `[include] files = *a*a…*a*b` (24 stars) sits beside a long
 * file name made of `a`; one of its programs holds most of its fds, so a diagnosis explains that
 * program's limit and reads the user's config. Turned into a backtracking RegExp this spun for more
 * than 20 s; with the linear matcher `sockdoc --interval 0` and a serve scrape both answer, and the
 * included file that does match still counts. The time is reported as a diagnostic, not asserted
 * (the timeout below only stops a hang).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath } from '../testing/paths.js';
import { alive, children, waitFor } from '../testing/live.js';
import { httpGet, startServe, stopHard } from '../serve/testing/processes.js';

const isRoot = process.getuid?.() === 0;
const hasSupervisord = spawnSync('sh', ['-c', 'command -v supervisord && command -v runuser'], { encoding: 'utf8' }).status === 0;
const NOBODY = 65534;

function nofile(pid: number): [number, number] {
  const m = /^Max open files\s+(\d+)\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'latin1'));
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

test('live: a user supervisord whose [include] glob has 24 stars beside a long name: diagnose and a serve scrape answer', { skip: !isRoot ? 'needs root: runs supervisord as nobody' : !hasSupervisord ? 'needs supervisord and runuser' : false, timeout: 90_000 }, async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'sockdoc-glob-'));
  let sup: ChildProcess | undefined;
  let holder: number | undefined;
  let serve: Awaited<ReturnType<typeof startServe>> | undefined;
  try {
    chmodSync(home, 0o755);
    // The program holds 1480 of its 1500 fds (minfds, below): fd-limit-exhausted, so diagnose explains its limit.
    const hold = 'import os, time\nfds = [os.open("/dev/null", os.O_RDONLY) for _ in range(1480)]\ntime.sleep(600)\n';
    writeFileSync(join(home, 'hold.py'), hold);
    writeFileSync(
      join(home, 's.conf'),
      [
        '[supervisord]',
        `logfile=${home}/sd.log`,
        `pidfile=${home}/sd.pid`,
        `childlogdir=${home}`,
        'minfds=1200',
        '[unix_http_server]',
        `file=${home}/sd.sock`,
        '[include]',
        `files = ${'*a'.repeat(24)}*b`,
        '[program:holder]',
        `command=/usr/bin/python3 ${home}/hold.py`,
        'startsecs=0',
        '',
      ].join('\n'),
    );
    // Long names of `a` that the pattern almost matches, and one that does (24 a then b): its minfds wins.
    for (let i = 0; i < 20; i++) writeFileSync(join(home, `${'a'.repeat(200)}${i}`), '');
    writeFileSync(join(home, `${'a'.repeat(24)}b`), '[supervisord]\nminfds=1500\n');
    chownSync(home, NOBODY, NOBODY);
    for (const f of readdirSync(home)) chownSync(join(home, f), NOBODY, NOBODY);

    sup = spawn('runuser', ['-u', 'nobody', '--', 'supervisord', '-n', '-c', join(home, 's.conf')], { stdio: 'ignore' });
    const runuser = sup.pid as number;
    const supervisord = await waitFor('supervisord as nobody', () => children(runuser)[0] ?? null);
    holder = await waitFor('the holder program with its 1480 fds', () => {
      const c = children(supervisord)[0];
      if (!c || !alive(c)) return null;
      try {
        return readFileSync(`/proc/${c}/cmdline`, 'latin1').includes('hold.py') && readdirSync(`/proc/${c}/fd`).length > 1480 ? c : null;
      } catch {
        return null;
      }
    });
    assert.equal(nofile(holder)[0], 1500, 'supervisord applied the minfds of the included file');

    const t0 = performance.now();
    const r = spawnSync(process.execPath, [cliPath, '--interval', '0', '--pid', String(holder), '--json'], { encoding: 'utf8', timeout: 60_000 });
    const ms = Math.round(performance.now() - t0);
    t.diagnostic(`sockdoc --interval 0 --pid ${holder}: ${ms} ms`);
    assert.equal(r.error, undefined, 'diagnose finished (no hang)');
    const d = JSON.parse(r.stdout) as { findings: Array<{ id: string; subject: { pid?: number }; evidence: Record<string, unknown> }>; limitOrigins: Array<{ pid: number; source: { layer: string; pid: number; setting?: string }; notes: string[] }> };
    const f = d.findings.find((x) => x.subject.pid === holder && /^fd-limit/.test(x.id));
    assert.ok(f, `an fd finding for the holder: ${r.stdout.slice(0, 400)}`);
    const o = d.limitOrigins.find((x) => x.pid === holder);
    assert.equal(o?.source.layer, 'supervisord');
    assert.equal(o?.source.pid, supervisord);
    assert.equal(o?.source.setting, 'minfds=1500', 'the included file that matches the pattern was read');

    serve = await startServe(['--listen', '127.0.0.1:0']);
    const s0 = performance.now();
    const m = await httpGet({ host: '127.0.0.1', port: serve.port }, '/metrics', 'GET', 30_000);
    t.diagnostic(`first serve scrape: ${Math.round(performance.now() - s0)} ms`);
    assert.equal(m.status, 200);
    const info = m.body.split('\n').find((l) => l.startsWith('sockdoc_process_fd_limit_info{') && l.includes(`pid="${holder}"`));
    assert.ok(info?.includes('layer="supervisord"'), `fd limit info of the holder: ${info}`);
  } finally {
    await stopHard(serve);
    if (sup?.pid) for (const c of children(sup.pid)) for (const g of children(c)) if (alive(g)) process.kill(g, 'SIGKILL');
    if (sup?.pid) for (const c of children(sup.pid)) if (alive(c)) process.kill(c, 'SIGKILL');
    sup?.kill('SIGKILL');
    if (existsSync(home)) rmSync(home, { recursive: true, force: true });
  }
});
