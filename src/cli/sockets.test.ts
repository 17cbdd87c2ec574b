import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseState } from './sockets.js';
import { cliPath, fixture } from '../testing/paths.js';

test('--state takes kernel names and ss names in any case', () => {
  assert.equal(parseState('CLOSE_WAIT'), 'CLOSE_WAIT');
  assert.equal(parseState('close-wait'), 'CLOSE_WAIT');
  assert.equal(parseState('estab'), 'ESTABLISHED');
  assert.equal(parseState('FIN-WAIT-1'), 'FIN_WAIT1');
  assert.equal(parseState('unconn'), 'CLOSE');
  assert.equal(parseState(undefined), undefined);
  assert.throws(() => parseState('half-open'), /unknown TCP state 'half-open'/);
});

test('sockets over a captured tree: filters by state and port, JSON rows carry owners', () => {
  const root = fixture('hosts', 'seed-close-wait');
  const r = spawnSync(process.execPath, [cliPath, 'sockets', '--root', root, '--state', 'close-wait', '--port', '8889', '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as Array<{ state: string; local: string; owners: unknown[]; waitingOn?: { listener: string } }>;
  assert.equal(rows.length, 129, 'the 129 CLOSE_WAIT sockets nobody accepted');
  for (const row of rows) {
    assert.equal(row.state, 'CLOSE_WAIT');
    assert.match(row.local, /^\[::ffff:127\.0\.0\.1\]:8889$/);
    assert.deepEqual(row.owners, []);
    assert.equal(row.waitingOn?.listener, '[::]:8889');
  }
});

test('sockets with a bad --state exits 3 with one line', () => {
  const r = spawnSync(process.execPath, [cliPath, 'sockets', '--state', 'bogus'], { encoding: 'utf8' });
  assert.equal(r.status, 3);
  assert.match(r.stderr.split('\n')[0], /^sockdoc: --state: unknown TCP state 'bogus'/);
});

/** A copy of the seed tree with `extra` more TCP sockets in its /proc/net/tcp (TIME_WAIT, 127.0.0.1, each its own port pair). */
function bigRoot(extra: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-sockets-big-'));
  cpSync(fixture('hosts', 'seed-close-wait'), dir, { recursive: true });
  const lines: string[] = [];
  for (let i = 0; i < extra; i++) {
    const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
    lines.push(`${String(1000 + i).padStart(6)}: 0100007F:${hex(10000 + (i % 50000))} 0100007F:${hex(1024 + Math.floor(i / 50000))} 06 00000000:00000000 03:0000169C 00000000     0        0 0 3 0000000000000000`);
  }
  appendFileSync(join(dir, 'proc', 'net', 'tcp'), lines.join('\n') + '\n');
  return dir;
}

test('sockets streams: a reader that closes the pipe early ends the listing cleanly (exit 0, no error), a full read gets every row', (t) => {
  const root = bigRoot(60_000);
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const json of [false, true]) {
    const args = ['sockets', '--root', root, ...(json ? ['--json'] : [])].map((a) => `'${a}'`).join(' ');
    // head takes the first bytes and exits: sockdoc's next write meets a closed pipe (EPIPE).
    const r = spawnSync('bash', ['-c', `'${process.execPath}' '${cliPath}' ${args} | head -c 200 > /dev/null; echo "exit \${PIPESTATUS[0]}" >&2`], { encoding: 'utf8', timeout: 60_000 });
    assert.match(r.stderr, /exit 0\n$/, `json ${json}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /internal error|EPIPE|Error/, `json ${json}: nothing but the exit`);
    const full = spawnSync(process.execPath, [cliPath, ...args.split(' ').map((a) => a.slice(1, -1))], { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 60_000 });
    assert.equal(full.status, 0, full.stderr);
    if (json) assert.equal((JSON.parse(full.stdout) as unknown[]).length, 60_000 + 261 - 2, 'every socket of tcp and tcp6');
    else assert.match(full.stdout, /^60259 sockets: /m);
  }
});

test('--pid of a process whose fds could not be read: one line and exit 3, never an empty list read as "holds nothing"', () => {
  // A capture of a process whose /proc/PID/fd was refused has no fd directory (as a non-root
  // reader meets another user's process live).
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-sockets-refused-'));
  try {
    const root = join(dir, 'host');
    cpSync(fixture('hosts', 'seed-queue-full'), root, { recursive: true, verbatimSymlinks: true });
    const listed = spawnSync(process.execPath, [cliPath, 'sockets', '--root', root, '--pid', '30705', '--json'], { encoding: 'utf8' });
    assert.equal(listed.status, 0, listed.stderr);
    assert.ok((JSON.parse(listed.stdout) as unknown[]).length > 0, 'read: its sockets are listed');
    rmSync(join(root, 'proc', '30705', 'fd'), { recursive: true, force: true });
    for (const extra of [[], ['--json'], ['--unix'], ['--unix', '--json']]) {
      const r = spawnSync(process.execPath, [cliPath, 'sockets', '--root', root, '--pid', '30705', ...extra], { encoding: 'utf8' });
      assert.equal(r.status, 3, `${extra.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '', 'nothing listed');
      assert.match(r.stderr, /^sockdoc: --pid 30705: its open files could not be read .* which sockets it holds is unknown$/m);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
