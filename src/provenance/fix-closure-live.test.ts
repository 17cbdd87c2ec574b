/**
 * Live attack test (root only), issue 18: a root supervisord whose root-owned configuration
 * [include]s a directory an ordinary user (uid 65534) owns, where the user's file adds a program
 * with no user= (it runs as root). `sockdoc limits` on that program: the restart's start line is
 * not offered (a comment naming the owner), and every printed line pasted into a root shell (in a
 * network namespace of its own) never starts the user's program again. The program appends its
 * euid to a marker at each start: one line (supervisord's own first start) before and after.
 * supervisord runs in a process group of its own, killed in `finally`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath } from '../testing/paths.js';
import { alive, children, sleep, waitFor } from '../testing/live.js';

const isRoot = process.getuid?.() === 0;
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const skip = !isRoot ? 'needs root' : !has('supervisord') ? 'needs supervisor (Debian package)' : false;
const USER = 65534;

test('live attack: root supervisord including a user-owned file: the start is a comment naming the owner; pasted as root, the user\'s program never starts again', { skip, timeout: 90_000 }, async () => {
  const top = mkdtempSync(join(tmpdir(), 'sockdoc-rootsup-'));
  chmodSync(top, 0o755);
  const inc = mkdtempSync(join(tmpdir(), 'sockdoc-rootsup-inc-'));
  chmodSync(inc, 0o755);
  chownSync(inc, USER, USER);
  const marker = join(inc, 'marker');
  const userConf = join(inc, 'x.conf');
  writeFileSync(userConf, `[program:inc]\ncommand=sh -c 'id -u >> ${marker}; exec sleep 300'\nstartsecs=0\n`);
  chownSync(userConf, USER, USER);
  const conf = join(top, 'rootsup.conf');
  writeFileSync(
    conf,
    [
      '[unix_http_server]',
      `file=${top}/s.sock`,
      '[supervisord]',
      'minfds=310',
      `logfile=${top}/s.log`,
      `pidfile=${top}/s.pid`,
      `childlogdir=${top}`,
      '[rpcinterface:supervisor]',
      'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
      '[supervisorctl]',
      `serverurl=unix://${top}/s.sock`,
      '[include]',
      `files=${inc}/*.conf`,
      '',
    ].join('\n'),
  );
  let sup: ChildProcess | undefined;
  // supervisord puts each program in a process group of its own: its pids are killed one by one too.
  const progs = new Set<number>();
  try {
    sup = spawn('bash', ['-c', `ulimit -n 310 && exec supervisord -n -c ${conf}`], { detached: true, stdio: 'ignore', cwd: top });
    const supPid = sup.pid as number;
    const prog = await waitFor('the included program', () => children(supPid).find((c) => alive(c) && readFileSync(`/proc/${c}/comm`, 'utf8').trim() === 'sleep') ?? null);
    progs.add(prog);
    await waitFor('the marker', () => (existsSync(marker) ? true : null));
    assert.equal(readFileSync(marker, 'utf8'), '0\n', 'the setup: root supervisord ran the user\'s program as root once');

    const r = spawnSync(process.execPath, [cliPath, 'limits', String(prog), '--json'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    const o = JSON.parse(r.stdout)[0] as { source: { layer: string }; fix: string[] };
    assert.equal(o.source.layer, 'supervisord', JSON.stringify(o.source));
    const all = o.fix.join('\n');
    const code = o.fix.filter((l) => !l.startsWith('#')).map((l) => l.replace(/ {3}#.*$/, ''));
    assert.ok(!code.some((l) => /supervisord|supervisorctl/.test(l)), `a pasteable line starts or asks supervisord:\n${all}`);
    assert.ok(o.fix.some((l) => l.startsWith('# not offered: ') && l.includes(`supervisord -n -c ${conf}`)), all);
    assert.ok(o.fix.some((l) => l.startsWith('# do not run that as root: ') && l.includes(`${userConf} is owned by uid 65534`)), all);
    assert.ok(code.includes(`kill -TERM ${supPid}`), all);

    // Paste every line into a root shell of its own network namespace, in order.
    const unshare = has('unshare') ? ['unshare', '--net', '--'] : [];
    for (const line of o.fix) spawnSync(unshare[0] ?? 'bash', [...unshare.slice(1), ...(unshare.length ? ['bash'] : []), '-c', line], { cwd: tmpdir(), timeout: 30_000 });
    await waitFor('supervisord to stop', () => (alive(supPid) ? null : true));
    await sleep(1000);
    for (const c of children(supPid)) progs.add(c);
    assert.equal(readFileSync(marker, 'utf8'), '0\n', 'the user\'s program started again after the paste');
  } finally {
    for (const pid of progs) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    if (sup?.pid) {
      try {
        process.kill(-sup.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    rmSync(top, { recursive: true, force: true });
    rmSync(inc, { recursive: true, force: true });
  }
});
