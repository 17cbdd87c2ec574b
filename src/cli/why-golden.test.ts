/**
 * `sockdoc why` over captured hosts, through the real binary: each answer (its first line, the
 * conditions that hold, the exit code) is held to a golden file beside the others in
 * test/fixtures/why (UPDATE_GOLDEN=1 rewrites them).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cliPath, repoRoot } from '../testing/paths.js';
import { assertGoldenFile } from '../testing/golden.js';

const FPM = '/tmp/sockdoc-fx-QfGnVr/run/php/php-fpm.sock';

function why(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [cliPath, 'why', ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    input,
    env: { ...process.env, SOCKDOC_NOW: '2026-11-24T22:00:00.000Z', NO_COLOR: '1', COLUMNS: '100' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const CASES: Array<{ name: string; root: string; line: string; exit: number; first: RegExp; holds: string[] }> = [
  {
    name: 'nginx-php-fpm-eagain',
    root: 'unix-queue-full',
    line: `2026/11/24 21:59:58 [error] 812#812: *4471 connect() to unix:${FPM} failed (11: Resource temporarily unavailable) while connecting to upstream, client: 10.1.2.3`,
    exit: 2,
    first: new RegExp(`^EAGAIN: holds now — Accept queue of unix socket ${FPM.replace(/[.]/g, '\\.')} is full: 65 waiting,`),
    holds: ['unix-queue-full'],
  },
  {
    name: 'nginx-other-socket-eagain',
    root: 'unix-queue-full',
    line: 'connect() to unix:/run/other.sock failed (11: Resource temporarily unavailable) while connecting to upstream',
    exit: 0,
    first: /^EAGAIN: none of its 2 causes holds on this host now/,
    holds: [],
  },
  {
    name: 'accept-emfile-leak',
    root: 'eventpoll-leak',
    line: 'http: Accept error: accept tcp [::]:8080: accept4: too many open files; retrying in 5ms',
    exit: 2,
    // The line names :8080: its holder (pid 13640) is the one that failed to accept, not the host's worst.
    first: /^EMFILE: holds now — python3 \(pid 13640\) is out of file descriptors: 248 open, soft limit 256/,
    holds: ['emfile'],
  },
  {
    name: 'fsnotify-userns',
    root: 'inotify-userns',
    line: 'failed to create fsnotify watcher: too many open files',
    exit: 2,
    first: /^EMFILE: holds now — uid 54321 in user namespace \d+ \(created by uid 54321\) is out of inotify instances: 8 of 8/,
    holds: ['inotify-instances'],
  },
  {
    name: 'tail-host-limit',
    root: 'inotify-host-limit',
    line: 'tail: inotify cannot be used, reverting to polling: Too many open files',
    exit: 2,
    first: /^EMFILE: holds now — uid 54322 is out of inotify instances: 24 of 24/,
    holds: ['inotify-instances'],
  },
  {
    name: 'conntrack',
    root: 'conntrack-full',
    line: '[Mon Nov 24 21:59:01 2026] nf_conntrack: nf_conntrack: table full, dropping packet',
    exit: 2,
    first: /^conntrack: holds now — Conntrack table of this host is full/,
    holds: ['conntrack-full'],
  },
  {
    name: 'refused-nothing-listening',
    root: 'healthy-conntrack',
    line: 'Error: connect ECONNREFUSED 127.0.0.1:9999',
    exit: 2,
    first: /^ECONNREFUSED: holds now — Nothing listens on port 9999/,
    holds: ['nothing-listening'],
  },
  {
    name: 'healthy-emfile',
    root: 'healthy-conntrack',
    line: 'OSError: [Errno 24] Too many open files',
    exit: 0,
    first: /^EMFILE: none of its 2 causes holds on this host now \(emfile, inotify-instances\)$/,
    holds: [],
  },
  {
    name: 'not-recognised',
    root: 'healthy-conntrack',
    line: 'the disk is on fire',
    exit: 3,
    first: /^not recognised: sockdoc knows none of its words/,
    holds: [],
  },
];

for (const c of CASES) {
  test(`why over ${c.root}: ${c.name}`, () => {
    const root = join('test', 'fixtures', 'hosts', c.root);
    const t = why(['--root', root, c.line]);
    assert.equal(t.code, c.exit, t.stderr);
    // The answer, its wrapped lines joined.
    const headline = t.stdout.split(/\n {2}(?:recognised|line) /)[0].replace(/\n {2}/g, ' ');
    assert.match(headline, c.first);
    assertGoldenFile(join(repoRoot, 'test', 'fixtures', 'why', `${c.name}.txt`), t.stdout);
    const j = why(['--root', root, '--json', c.line]);
    assert.equal(j.code, c.exit, j.stderr);
    const doc = JSON.parse(j.stdout) as { schemaVersion: number; exitCode: number; answers: Array<{ conditions: Array<{ id: string; state: string }> }> };
    assert.equal(doc.schemaVersion, 1);
    assert.equal(doc.exitCode, c.exit);
    assert.deepEqual(doc.answers[0].conditions.filter((x) => x.state === 'holds').map((x) => x.id), c.holds);
  });
}

test('why - reads a log: every distinct message it knows, once; exit from the worst', () => {
  const log = [
    `connect() to unix:${FPM} failed (11: Resource temporarily unavailable) while connecting to upstream`,
    'an unrelated line',
    `connect() to unix:${FPM} failed (11: Resource temporarily unavailable) while connecting to upstream`,
    'OSError: [Errno 24] Too many open files',
  ].join('\n');
  const r = why(['--root', join('test', 'fixtures', 'hosts', 'unix-queue-full'), '--json', '-'], log);
  assert.equal(r.code, 2, r.stderr);
  const doc = JSON.parse(r.stdout) as { answers: Array<{ recognised: { id: string } | null }> };
  assert.deepEqual(doc.answers.map((a) => a.recognised?.id), ['nginx-unix-upstream-eagain', 'python-emfile']);
});

test('why without a line, or with an empty one: a usage error; --list prints every message', () => {
  assert.equal(why([]).code, 3);
  assert.match(why(['  ']).stderr, /give the log line/);
  const list = why(['--list']);
  assert.equal(list.code, 0);
  assert.ok(list.stdout.split('\n').filter(Boolean).length >= 25);
});
