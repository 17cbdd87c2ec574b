/**
 * `sockdoc watch` in a real terminal: tmux runs it beside a server that leaks descriptors (the
 * lab's fd-leak peers), capture-pane reads the screen, send-keys types. The terminal must be back
 * to normal (main screen, cursor shown, canonical mode with echo) after q and after SIGTERM.
 * Where a test judges what watch shows, the peers run in a network namespace of the test's own and
 * watch is narrowed to it (--netns): the host's own listeners, processes and findings (500 full
 * queues of another test, a process out of fds) would otherwise fill the screen and the log lines.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath } from '../testing/paths.js';
import { uniqueName } from '../testing/unique.js';
import { startLeakingServer } from '../testing/leaking-server.js';
import { createNetns, destroyNetns } from '../../scripts/bench/netns.js';
import { PrivateTmux } from '../testing/tmux.js';

const hasTmux = spawnSync('sh', ['-c', 'command -v tmux'], { stdio: 'ignore' }).status === 0;
const skip = hasTmux ? false : 'tmux is not installed (CI installs it; ci-environment.test.ts asserts it)';
const isRoot = process.getuid?.() === 0;
const needsNetns = isRoot ? false : 'needs root: a network namespace of its own';

/** A network namespace of this test's own, removed by the returned function (which never throws). */
function ownNetns(): { name: string; remove: () => string[] } {
  const name = uniqueName('sockdoc-watch');
  createNetns(name);
  return { name, remove: () => destroyNetns(name) };
}

/** A private tmux server (its own socket), killed at the end, or by its watchdog after 3 minutes. */
class Tmux {
  private readonly server = new PrivateTmux('watch');
  run(...args: string[]): string {
    return this.server.run(...args);
  }
  screen(target: string, escapes = false): string {
    return this.run('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', target);
  }
  keys(target: string, ...keys: string[]): void {
    this.run('send-keys', '-t', target, ...keys);
  }
  /** alternate_on: the pane shows the alternate screen; cursor_flag: the cursor is visible. */
  state(target: string): string {
    return this.run('display-message', '-p', '-t', target, '#{alternate_on} #{cursor_flag}').trim();
  }
  kill(): void {
    this.server.close();
  }
}

async function waitForScreen(tmux: Tmux, target: string, ok: (s: string) => boolean, what: string, ms = 30_000): Promise<string> {
  const deadline = Date.now() + ms;
  let last = '';
  while (Date.now() < deadline) {
    last = tmux.screen(target);
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out waiting for ${what}; screen:\n${last}`);
}

/** The pane's command: watch, then report how it exited and the terminal modes it left. */
function paneCommand(dir: string, name: string, env = '', watchArgs = ''): string {
  const out = join(dir, `${name}.after`);
  return (
    `${env} ${process.execPath} ${cliPath} watch --every 1s ${watchArgs}; echo "exit=$?" > ${out}; ` +
    `stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo >> ${out}; sleep 60`
  );
}

function after(dir: string, name: string): string {
  try {
    return readFileSync(join(dir, `${name}.after`), 'utf8');
  } catch {
    return '';
  }
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return cond();
}

test('watch in tmux: the leaking process, its forecast and the finding; keys p / Enter q; terminal restored after q and SIGTERM', { skip: skip || needsNetns, timeout: 90_000 }, async () => {
  const tmux = new Tmux();
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-watch-'));
  const ns = ownNetns();
  // ~6 descriptors a second towards a limit of 400: full in about a minute, a forecast after ~10 s.
  const leak = await startLeakingServer({ nofile: 400, gapMs: 150, requests: 2000, lifetimeMs: 80_000, netns: ns.name });
  try {
    tmux.run('new-session', '-d', '-s', 'w', '-x', '150', '-y', '45', paneCommand(dir, 'q', '', `--netns ${ns.name}`));
    const pidCell = new RegExp(`^\\s+(?:\\S+\\s+)?${leak.pid} node\\s+(\\d+)/400\\s+\\d+%\\s+\\+(\\d+)/min\\s+~(\\d+) (s|min)`, 'm');
    const screen = await waitForScreen(
      tmux,
      'w',
      (s) => pidCell.test(s) && s.includes(`fd-exhaustion-forecast  node (pid ${leak.pid}) in netns ${ns.name} will run out of file descriptors in ~`),
      'the leaking process with a forecast, and the finding',
    );
    const [, open, perMin, eta, unit] = pidCell.exec(screen)!;
    assert.ok(Number(open) > leak.baseline, `open ${open} grew from ${leak.baseline}`);
    assert.ok(Number(perMin) >= 120 && Number(perMin) <= 600, `rate +${perMin}/min (about 6/s)`);
    const etaS = Number(eta) * (unit === 'min' ? 60 : 1);
    assert.ok(etaS > 5 && etaS < 180, `full in ~${eta} ${unit}`);
    assert.match(screen, /CRITICAL fd-exhaustion-forecast/);
    assert.equal(tmux.state('w'), '1 0', 'alternate screen, cursor hidden while watching');
    // Both peers are in the namespace (its name in the rows' netns column and in the title): the clients' process is listed too, until the filter below.
    await waitForScreen(tmux, 'w', (s) => new RegExp(`^\\s+(?:\\S+\\s+)?${leak.clientsPid} node\\s`, 'm').test(s), "the clients' process", 10_000);

    // p: the screen freezes (the clock stops), p again resumes.
    tmux.keys('w', 'p');
    const paused = await waitForScreen(tmux, 'w', (s) => s.includes('PAUSED'), 'PAUSED');
    const clock = /(\d\d:\d\d:\d\d) UTC/.exec(paused)![1];
    await new Promise((r) => setTimeout(r, 2200));
    assert.equal(/(\d\d:\d\d:\d\d) UTC/.exec(tmux.screen('w'))![1], clock, 'paused: no refresh');
    tmux.keys('w', 'p');
    await waitForScreen(tmux, 'w', (s) => !s.includes('PAUSED') && /(\d\d:\d\d:\d\d) UTC/.exec(s)![1] !== clock, 'resumed refresh', 5000);

    // /: a filter by the leaking pid leaves its row and its findings only.
    tmux.keys('w', '/', ...String(leak.pid).split(''), 'Enter');
    const filtered = await waitForScreen(tmux, 'w', (s) => s.includes(`[${leak.pid}]`), 'the filter in the footer', 5000);
    const rows = filtered.split('\n').filter((l) => /^\s+(?:\S+\s+)?\d+ \S/.test(l) && /\d+\/\d+/.test(l));
    assert.ok(rows.length >= 1 && rows.every((l) => l.includes(String(leak.pid))), `only pid ${leak.pid}:\n${rows.join('\n')}`);
    assert.ok(!new RegExp(`^\\s+(?:\\S+\\s+)?${leak.clientsPid} `, 'm').test(filtered), "the clients' process is filtered out");

    // Enter: why and fix of the selected finding (the forecast is the first, critical).
    tmux.keys('w', 'Enter');
    const detail = await waitForScreen(tmux, 'w', (s) => s.includes('fix') && s.includes(`ls -l /proc/${leak.pid}/fd`), 'the fix', 5000);
    assert.match(detail, /why/);
    // Relief as the pasting shell can apply it: a raise, or (at the hard limit without CAP_SYS_RESOURCE, as here) why there is none.
    assert.match(detail, /prlimit --pid|no relief without a restart: pid \d+ is at its hard limit/);
    tmux.keys('w', 'Escape');
    await waitForScreen(tmux, 'w', (s) => s.includes('Findings ('), 'back to the main screen', 5000);

    // q: exit 0, main screen, cursor visible, cooked mode with echo.
    tmux.keys('w', 'q');
    assert.ok(await waitFor(() => after(dir, 'q').includes('echo'), 10_000), `after q: ${after(dir, 'q')}`);
    assert.deepEqual(after(dir, 'q').trim().split('\n'), ['exit=0', 'icanon', 'echo']);
    assert.equal(tmux.state('w'), '0 1', 'main screen, cursor visible');

    // SIGTERM: the same, with NO_COLOR (not one colour escape on screen meanwhile).
    tmux.run('new-session', '-d', '-s', 't', '-x', '100', '-y', '30', paneCommand(dir, 'term', 'NO_COLOR=1'));
    await waitForScreen(tmux, 't', (s) => s.includes('Findings ('), 'the first frame', 15_000);
    assert.doesNotMatch(tmux.screen('t', true), /\x1b\[[0-9;]*3[1-6]m/, 'NO_COLOR: no colour');
    const panePid = tmux.run('display-message', '-p', '-t', 't', '#{pane_pid}').trim();
    const child = spawnSync('pgrep', ['-P', panePid, '-f', 'watch'], { encoding: 'utf8' }).stdout.trim().split('\n')[0];
    assert.ok(/^\d+$/.test(child), `watch's pid under the pane shell ${panePid}`);
    process.kill(Number(child), 'SIGTERM');
    assert.ok(await waitFor(() => after(dir, 'term').includes('echo'), 10_000), `after SIGTERM: ${after(dir, 'term')}`);
    assert.deepEqual(after(dir, 'term').trim().split('\n'), ['exit=0', 'icanon', 'echo']);
    assert.equal(tmux.state('t'), '0 1', 'main screen, cursor visible');
  } finally {
    tmux.kill();
    await leak.stop();
    ns.remove();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('watch without a terminal: one summary line per refresh, then --count ends it', { skip: needsNetns, timeout: 20_000 }, () => {
  const ns = ownNetns();
  try {
    const r = spawnSync(process.execPath, [cliPath, 'watch', '--every', '500ms', '--count', '2', '--netns', ns.name], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    for (const l of lines) assert.match(l, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+Z netns="netns ${ns.name}" critical=\\d+ warning=\\d+ info=\\d+ sockets=0 listener=- process=-`));
    assert.doesNotMatch(r.stdout, /\x1b/, 'no escape in a log');
  } finally {
    ns.remove();
  }
});

test('watch: bad flags are one line and exit 3', () => {
  for (const [args, msg] of [
    [['--every', '100ms'], /--every must be at least 500ms/],
    [['--history', '2d'], /--history expects a duration/],
    [['--bogus'], /Unknown option '--bogus'/],
  ] as const) {
    const r = spawnSync(process.execPath, [cliPath, 'watch', ...args], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 3, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, msg);
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 2, 'one line plus the --help hint');
  }
});

test('watch in tmux: Esc then Ctrl-C typed together quits (readline joins them into one key)', { skip, timeout: 60_000 }, async () => {
  const tmux = new Tmux();
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-watch-'));
  try {
    tmux.run('new-session', '-d', '-s', 'e', '-x', '100', '-y', '30', paneCommand(dir, 'esc'));
    await waitForScreen(tmux, 'e', (s) => s.includes('Findings ('), 'the first frame', 30_000);
    tmux.keys('e', 'Escape', 'C-c');
    assert.ok(await waitFor(() => after(dir, 'esc').includes('echo'), 10_000), `after Esc Ctrl-C: ${after(dir, 'esc')} screen:\n${tmux.screen('e')}`);
    assert.deepEqual(after(dir, 'esc').trim().split('\n'), ['exit=0', 'icanon', 'echo']);
    assert.equal(tmux.state('e'), '0 1', 'main screen, cursor visible');
  } finally {
    tmux.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('watch piped: it ends when its reader does (| head -1)', { timeout: 60_000 }, () => {
  const started = Date.now();
  const r = spawnSync('bash', ['-c', `"$0" "$1" watch --every 500ms | head -1; echo "status=\${PIPESTATUS[0]}" >&2`, process.execPath, cliPath], { encoding: 'utf8', timeout: 45_000 });
  assert.equal(r.error, undefined, `watch | head -1 did not end: ${r.error?.message}`);
  assert.match(r.stdout, /^\S+Z critical=\d+ /);
  assert.match(r.stderr, /status=0/);
  assert.ok(Date.now() - started < 45_000);
});

test('watch: --netns of a namespace that is not there is exit 3 before any screen; --root is refused in words', { timeout: 60_000 }, () => {
  const gone = spawnSync(process.execPath, [cliPath, 'watch', '--netns', 'sockdoc-no-such-ns', '--count', '1'], { encoding: 'utf8', timeout: 45_000 });
  assert.equal(gone.status, 3, gone.stderr);
  assert.match(gone.stderr, /^sockdoc: --netns "sockdoc-no-such-ns": no such network namespace; seen: host/);
  assert.equal(gone.stdout, '');
  const root = spawnSync(process.execPath, [cliPath, 'watch', '--root', '/tmp'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(root.status, 3);
  assert.match(root.stderr, /^sockdoc: watch samples this host live; --root \/tmp is a capture, one moment: read it with 'sockdoc --root \/tmp'/);
});

test('watch: a --history longer than the sample cap is said, not silently shortened', { timeout: 30_000 }, () => {
  const r = spawnSync(process.execPath, [cliPath, 'watch', '--history', '24h', '--every', '500ms', '--count', '1'], { encoding: 'utf8', timeout: 25_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^sockdoc: note: --history 24h at --every 0\.5 s would be 172800 samples; keeping the last 7200 \(60 min\)/);
  assert.equal(r.stdout.trim().split('\n').length, 1);
});

test('watch in tmux with TERM=dumb: log lines, not a full screen it cannot draw', { skip: skip || needsNetns, timeout: 60_000 }, async () => {
  const tmux = new Tmux();
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-watch-'));
  // Narrowed to an empty namespace of its own: each log line fits the pane (a line listing a busy
  // host's findings wraps over several).
  const ns = ownNetns();
  try {
    tmux.run('new-session', '-d', '-s', 'd', '-x', '150', '-y', '30', `TERM=dumb ${process.execPath} ${cliPath} watch --every 500ms --count 2 --netns ${ns.name}; echo "exit=$?" > ${join(dir, 'dumb.after')}; sleep 60`);
    assert.ok(await waitFor(() => after(dir, 'dumb').includes('exit='), 40_000), `screen:\n${tmux.screen('d')}`);
    assert.equal(after(dir, 'dumb').trim(), 'exit=0');
    const lines = tmux.screen('d').split('\n').filter((l) => /^\S+Z netns="[^"]+" critical=\d+ /.test(l));
    assert.equal(lines.length, 2, tmux.screen('d'));
  } finally {
    tmux.kill();
    ns.remove();
    rmSync(dir, { recursive: true, force: true });
  }
});
