/**
 * Live hostile cases on this machine: a process that renamed itself with prctl to an escape
 * sequence; capture's directory checks, modes and redaction; the exit code through a closed pipe;
 * module loading under `ulimit -n 40`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { cliPath, fixture } from '../testing/paths.js';

const isRoot = process.getuid?.() === 0;
// eslint-disable-next-line no-control-regex
const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

function cli(args: string[], opts: { shell?: string } = {}) {
  const r = opts.shell
    ? spawnSync('bash', ['-c', opts.shell, 'sockdoc', process.execPath, cliPath, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } })
    : spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(r.error, undefined);
  return r;
}

/**
 * python3 renames itself (prctl PR_SET_NAME, 15 bytes + NUL) to ESC ] 0 ; BEL, a bidi override
 * and a newline, under prlimit --nofile=16, holds a loopback listener and enough files to be near its limit.
 */
const RENAMED = `import ctypes, socket, sys
libc = ctypes.CDLL(None)
libc.prctl(15, b"\\x1b]0;t\\x07\\xe2\\x80\\xae\\nevil", 0, 0, 0)
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
keep = [open("/dev/null") for _ in range(9)]
print(s.getsockname()[1], flush=True)
sys.stdin.read()`;

test('live: a process renamed with prctl to an escape sequence is printed escaped by diagnose, sockets and limits', async () => {
  const child = spawn('prlimit', ['--nofile=16:16', 'python3', '-c', RENAMED], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    const port = Number(line);
    const comm = readFileSync(`/proc/${child.pid}/comm`, 'latin1');
    assert.match(comm, /^\x1b\]0;t\x07/, 'the kernel holds the raw name'); // eslint-disable-line no-control-regex
    const pid = String(child.pid);
    const outs = {
      diagnose: cli(['--pid', pid, '--interval', '0']),
      sockets: cli(['sockets', '--pid', pid]),
      limits: cli(['limits', pid]),
    };
    for (const [name, r] of Object.entries(outs)) {
      const bad = (r.stdout + r.stderr).split('\n').find((l) => RAW.test(l));
      assert.equal(bad, undefined, `${name}: raw control or bidi character in ${JSON.stringify(bad)}`);
      assert.match(r.stdout, /\\x1b\]0;t\\x07\\u202e\\nevil/, `${name} shows the name escaped:\n${r.stdout}`);
    }
    assert.match(outs.sockets.stdout, new RegExp(`127\\.0\\.0\\.1:${port} .*${pid}/\\\\x1b`), 'one row, not split by the newline');
  } finally {
    child.kill('SIGKILL');
  }
});

test('live: capture writes 0700 directories and 0600 files, redacts a --password= argument and URL credentials, and says so', { skip: isRoot ? false : 'needs root to read another process' }, async () => {
  const top = mkdtempSync(join(tmpdir(), 'sockdoc-capmodes-'));
  const child = spawn('python3', ['-c', 'import sys; sys.stdin.read()', '--password=hunter2', 'https://bob:s3cret@db.example/x'], { stdio: ['pipe', 'ignore', 'inherit'] });
  try {
    const dir = join(top, 'cap');
    const r = cli(['capture', dir, '--pid', String(child.pid)]);
    assert.equal(r.status === 0 || r.status === 1, true, r.stderr);
    assert.match(r.stdout, /redacted 2 secrets in command lines, \d+ values? in configuration files and \d+ file paths? behind fds \(--no-redact keeps them\)/);
    const cmdline = readFileSync(join(dir, 'proc', String(child.pid), 'cmdline'), 'latin1');
    assert.ok(cmdline.includes('--password=REDACTED') && cmdline.includes('https://bob:REDACTED@db.example/x'), cmdline);
    assert.ok(!cmdline.includes('hunter2') && !cmdline.includes('s3cret'));
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isSymbolicLink()) continue;
        assert.equal(statSync(p).mode & 0o777, e.isDirectory() ? 0o700 : 0o600, p);
        if (e.isDirectory()) walk(p);
      }
    };
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    walk(dir);
    assert.deepEqual(readdirSync(top), ['cap'], 'no temporary folder left beside it');
    // --no-redact keeps them, and says what that means.
    const kept = cli(['capture', join(top, 'kept'), '--pid', String(child.pid), '--no-redact']);
    assert.match(kept.stdout, /may hold passwords and tokens/);
    assert.ok(readFileSync(join(top, 'kept', 'proc', String(child.pid), 'cmdline'), 'latin1').includes('hunter2'));
    // The capture reads back.
    const back = cli(['limits', '--root', dir, String(child.pid)]);
    assert.equal(back.status, 0, back.stderr);
  } finally {
    child.kill('SIGKILL');
    rmSync(top, { recursive: true, force: true });
  }
});

test('live: capture refuses a link, a non-empty or foreign directory, a file, and a parent others can write; nothing is written through them', { skip: isRoot ? false : 'needs root to chown' }, () => {
  const top = mkdtempSync(join(tmpdir(), 'sockdoc-capdir-'));
  try {
    const victim = join(top, 'victim');
    mkdirSync(victim);
    symlinkSync(victim, join(top, 'link'));
    mkdirSync(join(top, 'foreign'));
    chownSync(join(top, 'foreign'), 65534, 65534);
    mkdirSync(join(top, 'full'));
    mkdirSync(join(top, 'full', 'x'));
    mkdirSync(join(top, 'open'), { mode: 0o777 });
    spawnSync('chmod', ['0777', join(top, 'open')]);
    const cases: Array<[string, RegExp]> = [
      [join(top, 'link'), /is a symbolic link/],
      [join(top, 'foreign'), /belongs to uid 65534, not to you/],
      [join(top, 'full'), /is not empty/],
      [fixture('hosts', 'seed-close-wait', 'proc', 'net', 'tcp'), /exists and is not a directory/],
      [join(top, 'open', 'cap'), /writable by other users and not sticky/],
      [join(top, 'missing', 'cap'), /does not exist/],
    ];
    for (const [dir, why] of cases) {
      const r = cli(['capture', dir, '--pid', String(process.pid)]);
      assert.equal(r.status, 3, dir);
      assert.match(r.stderr, why, dir);
      assert.doesNotMatch(r.stderr, /internal error/);
    }
    assert.deepEqual(readdirSync(victim), [], 'nothing written through the link');
    assert.equal(readlinkSync(join(top, 'link')), victim);
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
});

test('EPIPE keeps the diagnosis exit code: sockdoc --json | head -c 10 on a critical tree exits 2', () => {
  const r = cli(['--root', fixture('hosts', 'seed-close-wait'), '--json'], { shell: '"$1" "$2" "${@:3}" | head -c 10 >/dev/null; echo "exit=${PIPESTATUS[0]}"' });
  assert.match(r.stdout, /^exit=2$/m, r.stderr);
});

test('under ulimit -n 40 (soft and hard) sockdoc loads and diagnoses instead of dying with EMFILE', () => {
  const r = cli(['--root', fixture('hosts', 'seed-close-wait'), '--json'], { shell: 'ulimit -n 40 && "$1" "$2" "${@:3}"' });
  assert.doesNotMatch(r.stderr, /EMFILE|internal error/);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(JSON.parse(r.stdout).exitCode, 2);
});
