/**
 * `sockdoc watch` and job control in a real terminal: tmux runs an interactive bash (job control
 * on), the watch runs in it as a job. Ctrl-Z and SIGTSTP must leave a normal shell (main screen,
 * cursor shown, cooked mode with echo) with the job stopped; `fg` brings the screen back, redrawn;
 * SIGCONT while in the background must not touch the terminal (the job stops again on SIGTTOU);
 * SIGUSR1/SIGUSR2 change nothing; SIGQUIT, SIGALRM and Ctrl-\ end it with the terminal restored.
 * The tmux server is private (its own socket), the watch's pid is found under the pane's shell.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath } from '../testing/paths.js';
import { children, sleep } from '../testing/live.js';
import { inspectorSockets } from '../testing/inspector.js';
import { PrivateTmux } from '../testing/tmux.js';

const hasTmux = spawnSync('sh', ['-c', 'command -v tmux'], { stdio: 'ignore' }).status === 0;
const skip = hasTmux ? false : 'tmux is not installed (CI installs it; ci-environment.test.ts asserts it)';

/** The test's tmux server, made when the test starts (nothing is made when it is skipped). */
let server: PrivateTmux | undefined;
function tmux(...args: string[]): string {
  if (!server) throw new Error('tmux used before the test made its server');
  return server.run(...args);
}
const screen = (): string => tmux('capture-pane', '-p', '-t', 'j');
/** "1 0": alternate screen, cursor hidden (watching); "0 1": main screen, cursor shown (a shell). */
const modes = (): string => tmux('display-message', '-p', '-t', 'j', '#{alternate_on} #{cursor_flag}').trim();
const type = (line: string): void => void tmux('send-keys', '-t', 'j', line, 'Enter');

async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; modes ${modes()}; screen:\n${screen()}`);
    await sleep(150);
  }
}

/** The job's state letter from /proc (T = stopped), or '' once gone. */
function state(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return '';
  }
}

test('watch under job control: Ctrl-Z and SIGTSTP give the shell a normal terminal, fg redraws, bg leaves it alone; USR1/USR2 ignored; QUIT, ALRM, XCPU, VTALRM, Ctrl-\\ restore', { skip, timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), `sockdoc-watch-jobs-${process.pid}-`));
  const readModes = async (name: string): Promise<string[]> => {
    const file = join(dir, name);
    type(`stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo > ${file}.tmp && mv ${file}.tmp ${file}`);
    let text = '';
    await until(`stty into ${name}`, () => {
      try {
        text = readFileSync(file, 'utf8');
        return true;
      } catch {
        return false;
      }
    });
    return text.trim().split('\n');
  };
  const lastExit = async (name: string): Promise<string> => {
    const file = join(dir, name);
    type(`echo "exit=$?" > ${file}.tmp && mv ${file}.tmp ${file}`);
    let text = '';
    await until(`the exit status in ${name}`, () => {
      try {
        text = readFileSync(file, 'utf8').trim();
        return true;
      } catch {
        return false;
      }
    });
    return text;
  };
  // The tmux server (and the jobs in it) ends within 3 minutes whatever happens to this process.
  server = new PrivateTmux('jobs');
  try {
    tmux('new-session', '-d', '-s', 'j', '-x', '140', '-y', '40', 'env', 'PS1=jobs$ ', 'bash', '--norc', '--noprofile', '-i');
    const shell = Number(tmux('display-message', '-p', '-t', 'j', '#{pane_pid}').trim());
    const startWatch = async (): Promise<number> => {
      type(`${process.execPath} ${cliPath} watch --every 1s`);
      await until('the first frame', () => modes() === '1 0' && screen().includes('Findings ('));
      const pids = children(shell);
      assert.equal(pids.length, 1, `one job under the shell: ${pids.join(' ')}`);
      return pids[0];
    };

    let watch = await startWatch();
    // Ctrl-Z: the job stops, the shell has its terminal back.
    tmux('send-keys', '-t', 'j', 'C-z');
    await until('the job to stop', () => state(watch) === 'T' && modes() === '0 1');
    assert.match(screen(), /Stopped\s+.*watch --every 1s/);
    assert.deepEqual(await readModes('ctrl-z'), ['icanon', 'echo'], 'cooked mode with echo at the prompt');
    // fg: the watch takes the screen again and draws it whole.
    type('fg');
    await until('the screen back after fg', () => state(watch) !== 'T' && modes() === '1 0' && screen().includes('Findings (') && !screen().includes('jobs$'));
    tmux('send-keys', '-t', 'j', 'p');
    await until('keys work after fg (p pauses)', () => screen().includes('PAUSED'));

    // SIGTSTP from elsewhere: the same; SIGCONT while the job is in the background: the terminal
    // stays the shell's and the job stops again (tty output).
    process.kill(watch, 'SIGTSTP');
    await until('the job to stop on SIGTSTP', () => state(watch) === 'T' && modes() === '0 1');
    process.kill(watch, 'SIGCONT');
    await sleep(1000);
    await until('the job stopped again, the terminal untouched', () => state(watch) === 'T' && modes() === '0 1');
    assert.doesNotMatch(screen(), /Findings \(/, 'no frame drawn over the shell');
    type('fg');
    await until('the screen back after the second fg', () => state(watch) !== 'T' && modes() === '1 0' && screen().includes('Findings ('));

    // SIGUSR1 and SIGUSR2: nothing happens (no inspector, no end, the screen stays).
    process.kill(watch, 'SIGUSR1');
    process.kill(watch, 'SIGUSR2');
    await sleep(1500);
    assert.equal(modes(), '1 0');
    assert.ok(state(watch) !== '' && state(watch) !== 'T', 'still running');
    assert.deepEqual(inspectorSockets(watch), [], 'no inspector listening for the watch');

    // SIGQUIT ends it, terminal restored.
    process.kill(watch, 'SIGQUIT');
    await until('the watch to end on SIGQUIT', () => state(watch) === '' && modes() === '0 1');
    assert.equal(await lastExit('quit'), 'exit=0');
    assert.deepEqual(await readModes('quit-modes'), ['icanon', 'echo']);

    // SIGALRM, a CPU limit's SIGXCPU, SIGVTALRM too (every signal whose default would end it:
    // STOP_SIGNALS in watch.ts), and Ctrl-\ (a byte in raw mode, not a signal).
    for (const signal of ['SIGALRM', 'SIGXCPU', 'SIGVTALRM'] as const) {
      watch = await startWatch();
      process.kill(watch, signal);
      await until(`the watch to end on ${signal}`, () => state(watch) === '' && modes() === '0 1');
      assert.equal(await lastExit(signal.toLowerCase()), 'exit=0');
    }
    watch = await startWatch();
    tmux('send-keys', '-t', 'j', 'C-\\');
    await until('the watch to end on Ctrl-\\', () => state(watch) === '' && modes() === '0 1');
    assert.equal(await lastExit('ctrl-backslash'), 'exit=0');
    assert.deepEqual(await readModes('final-modes'), ['icanon', 'echo']);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
