/**
 * Every long-running command ends promptly on SIGTERM, SIGINT and SIGHUP — also when whoever
 * started it is gone: its stdout/stderr pipes closed (a dead log reader), or its terminal hung up
 * (a closed window). serve keeps serving with nobody to read its log, and still obeys the signal;
 * watch with a closed output or a dead terminal ends by itself. Each command runs in a process
 * group of its own, with a CPU-time limit of its own (prlimit), and the group is killed in the end
 * whatever happens: a failing run of this test leaves nothing behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cliPath } from '../testing/paths.js';
import { alive, sleep } from '../testing/live.js';
import { httpGet } from '../serve/testing/processes.js';

const hasTmux = spawnSync('sh', ['-c', 'command -v tmux && command -v prlimit'], { stdio: 'ignore' }).status === 0;

/** `sockdoc ARGS` bounded to 60 s of CPU, in a process group of its own, output piped. */
function sockdoc(args: string[]): { child: ChildProcess; out: () => string } {
  const child = spawn('prlimit', ['--cpu=60', '--', process.execPath, cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, out: () => out };
}

async function gone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
  return !alive(pid);
}

function killGroup(c: ChildProcess): void {
  try {
    if (c.pid) process.kill(-c.pid, 'SIGKILL');
  } catch {
    // gone
  }
}

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  test(`${signal} ends serve and diagnose --interval whose output readers are gone, within 5 s; serve keeps serving meanwhile`, { timeout: 60_000 }, async () => {
    const serve = sockdoc(['serve', '--listen', '127.0.0.1:0']);
    const diag = sockdoc(['--interval', '30s']);
    try {
      for (let i = 0; i < 200 && !/listening on http:\/\/[^\s]*:(\d+)\//.test(serve.out()); i++) await sleep(50);
      const port = Number(/listening on http:\/\/[^\s]*:(\d+)\//.exec(serve.out())?.[1]);
      assert.ok(port > 0, serve.out());
      await sleep(500);
      for (const c of [serve, diag]) {
        c.child.stdout!.destroy();
        c.child.stderr!.destroy();
      }
      process.kill(serve.child.pid!, 'SIGUSR1'); // a log line into the dead pipe
      await sleep(500);
      assert.ok(alive(serve.child.pid!), 'serve outlives its log reader');
      assert.equal((await httpGet({ host: '127.0.0.1', port }, '/-/healthy')).status, 200, 'and serves');
      for (const c of [serve, diag]) process.kill(c.child.pid!, signal);
      assert.ok(await gone(serve.child.pid!, 5000), `serve ended on ${signal}`);
      assert.ok(await gone(diag.child.pid!, 5000), `diagnose --interval ended on ${signal}`);
    } finally {
      killGroup(serve.child);
      killGroup(diag.child);
    }
  });
}

test('watch ends by itself when its output pipe closes, and when its terminal is hung up; SIGTERM ends it orphaned', { skip: hasTmux ? false : 'tmux or prlimit missing', timeout: 60_000 }, async () => {
  const piped = sockdoc(['watch', '--every', '1s']);
  const socket = `sockdoc-orphan-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const tmux = (...a: string[]) => spawnSync('tmux', ['-L', socket, ...a], { encoding: 'utf8', timeout: 5000 });
  try {
    for (let i = 0; i < 200 && !/critical=/.test(piped.out()); i++) await sleep(50);
    piped.child.stdout!.destroy();
    assert.ok(await gone(piped.child.pid!, 5000), 'a closed output pipe ends the piped watch');

    // In a terminal whose shell is killed (the watch orphaned, its terminal still there), then
    // SIGTERM; and again with the terminal itself gone.
    for (const how of ['orphaned, then SIGTERM', 'terminal hung up'] as const) {
      tmux('new-session', '-d', '-s', 'o', '-x', '100', '-y', '30', 'bash', '--norc', '--noprofile', '-i');
      const shell = Number(tmux('display-message', '-p', '-t', 'o', '#{pane_pid}').stdout.trim());
      tmux('send-keys', '-t', 'o', `prlimit --cpu=60 -- ${process.execPath} ${cliPath} watch --every 1s`, 'Enter');
      let watch = 0;
      for (let i = 0; i < 200 && !watch; i++) {
        const r = spawnSync('pgrep', ['-P', String(shell)], { encoding: 'utf8' }).stdout.trim();
        if (r && tmux('capture-pane', '-p', '-t', 'o').stdout.includes('Findings (')) watch = Number(r.split('\n')[0]);
        else await sleep(100);
      }
      assert.ok(watch > 0, `watch started (${how})`);
      if (how === 'terminal hung up') tmux('kill-server');
      else {
        process.kill(shell, 'SIGKILL');
        await sleep(500);
        if (alive(watch)) process.kill(watch, 'SIGTERM');
      }
      const ended = await gone(watch, 5000);
      if (!ended) process.kill(watch, 'SIGKILL');
      assert.ok(ended, `watch ended (${how})`);
      tmux('kill-server');
    }
  } finally {
    killGroup(piped.child);
    tmux('kill-server');
  }
});
