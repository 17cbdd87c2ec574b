/**
 * A reader that goes away (`sockdoc … 2>&1 | head`) changes nothing: every command whose stdout and
 * stderr are closed before it writes exits with the code it has when they are read (its answer),
 * with no "internal error" and no unhandled EPIPE (which ended `why` with 1).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cliPath, fixture, repoRoot } from '../testing/paths.js';

const ENV = { ...process.env, SOCKDOC_NOW: '2026-11-24T22:00:00.000Z', NO_COLOR: '1', COLUMNS: '100' };
const HOST = fixture('hosts', 'eventpoll-leak');

const COMMANDS: string[][] = [
  ['why', '--root', HOST, 'upstream timed out (110: Connection timed out) while connecting to upstream'],
  ['why', '--root', HOST, 'accept4() failed (24: Too many open files)'],
  ['why', '--root', HOST, 'connect() failed (111: Connection refused) while connecting to upstream'],
  ['why', '--root', HOST, 'the disk is on fire'],
  // A partial capture: why's notes go to stderr after the answer (the write that ended it with 1).
  ['why', '--root', fixture('hosts', 'trimmed'), 'accept4() failed (24: Too many open files)'],
  ['why', '--list'],
  ['--root', HOST],
  ['--root', HOST, '--verbose'],
  ['--root', HOST, '--json'],
  ['--root', HOST, '--summary'],
  ['sockets', '--root', HOST],
  ['sockets', '--json', '--root', HOST],
  ['sockets', '--unix', '--root', fixture('hosts', 'unix-queue-full')],
  ['sockets', '--unix', '--json', '--root', fixture('hosts', 'unix-queue-full')],
  ['port', '22', '--root', HOST],
  ['limits', '--root', HOST],
  ['explain', 'fd-limit-exhausted'],
  ['--help'],
];

/** Exit code with stdout and stderr closed by the reader at once. */
function closedRun(args: string[]): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], { cwd: repoRoot, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    child.stderr.destroy();
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

for (const args of COMMANDS) {
  test(`closed pipe: sockdoc ${args.map((a) => (a === HOST ? 'FIXTURE' : a)).join(' ').slice(0, 80)} exits as when read`, async () => {
    const read = spawnSync(process.execPath, [cliPath, ...args], { cwd: repoRoot, env: ENV, encoding: 'utf8' });
    assert.doesNotMatch(read.stderr, /internal error/);
    const closed = await closedRun(args);
    assert.equal(closed.signal, null);
    assert.equal(closed.code, read.status, `read: ${read.status}, closed: ${closed.code}`);
  });
}
