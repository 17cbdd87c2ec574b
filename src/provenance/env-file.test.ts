import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEnvFile } from './env-file.js';

test('env file: quotes, export, comments, continuations and line numbers', () => {
  const text = [
    '# /etc/sysconfig/docker',
    '',
    "OPTIONS='--selinux-enabled --default-ulimit nofile=4096:8192'",
    'export DOCKER_OPTS="-H fd:// \\"quoted\\""',
    '; a comment',
    'BARE=a b   ',
    'CONT=one \\',
    'two',
    'not an assignment',
    'EMPTY=',
  ].join('\n');
  assert.deepEqual(
    parseEnvFile(text, 'f').map((e) => [e.key, e.value, e.line]),
    [
      ['OPTIONS', '--selinux-enabled --default-ulimit nofile=4096:8192', 3],
      ['DOCKER_OPTS', '-H fd:// "quoted"', 4],
      ['BARE', 'a b', 6],
      ['CONT', 'one two', 7],
      ['EMPTY', '', 10],
    ],
  );
});

test('env file: a hostile file is read in one pass (no backtracking), bounded', () => {
  const t0 = performance.now();
  const many = 'A='.padEnd(200_000, '\\') + '\n' + '"'.repeat(100_000) + '\n' + 'X=1\n'.repeat(50_000);
  const out = parseEnvFile(many, 'f');
  assert.ok(out.length <= 10_000);
  assert.ok(performance.now() - t0 < 2000);
});
