/**
 * `sockdoc why` says what it did not do: a cause it could not check is "not checked (why)", never
 * "none of its causes holds" with exit 0; a line cut at the read limit says so; `why -` counts the
 * distinct messages it did not answer. Over captured hosts, through the real binary.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cliPath, fixture, repoRoot } from '../testing/paths.js';

function why(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [cliPath, 'why', ...args], { cwd: repoRoot, encoding: 'utf8', input, env: { ...process.env, SOCKDOC_NOW: '2026-11-24T22:00:00.000Z', NO_COLOR: '1', COLUMNS: '100' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const HEALTHY = fixture('hosts', 'healthy-conntrack');

for (const line of ['connect() failed (111: Connection refused) while connecting to upstream', 'java.net.ConnectException: Connection refused (Connection refused)', 'curl: (7) Failed to connect: Connection refused']) {
  test(`a refused connection without a port: the cause not checked is said, exit 3, never "none holds" (${line.slice(0, 30)})`, () => {
    const t = why(['--root', HEALTHY, line]);
    assert.equal(t.code, 3, t.stdout + t.stderr);
    const head = t.stdout.split('\n')[0];
    assert.doesNotMatch(t.stdout, /none of its/);
    assert.match(head, /^ECONNREFUSED: (not answered — 1 of its \d causes not checked|could not be checked here) /);
    assert.match(t.stdout, /not checked: the message names no port/);
    const j = JSON.parse(why(['--root', HEALTHY, '--json', line]).stdout) as { exitCode: number; answers: Array<{ exitCode: number }> };
    assert.equal(j.exitCode, 3);
    assert.equal(j.answers[0].exitCode, 3);
  });
}

test('every cause checked and none holds: exit 0, as before', () => {
  const t = why(['--root', HEALTHY, 'Error: connect ECONNREFUSED 127.0.0.1:22']);
  assert.notEqual(t.code, 3, t.stdout);
});

test('a line longer than the read limit: the answer says it was cut and how much was not read', () => {
  const line = `OSError: [Errno 24] Too many open files ${'x'.repeat(6000)}`;
  const t = why(['--root', HEALTHY, line]);
  assert.match(t.stdout, /note {8}the line is longer than 4096 characters: its last 1944 were not read/);
  const j = JSON.parse(why(['--root', HEALTHY, '--json', line]).stdout) as { answers: Array<{ cut: number; text: string }> };
  assert.equal(j.answers[0].cut, 1944);
  assert.equal(j.answers[0].text.length, 4096);
  assert.doesNotMatch(why(['--root', HEALTHY, 'OSError: [Errno 24] Too many open files']).stdout, /not read/);
});

test('why - with more distinct messages than it answers: how many were left is said, in the terminal and JSON', () => {
  // 13 distinct messages (a port each), 3 unrecognised lines, repeats: 10 answered, 3 counted.
  const lines: string[] = [];
  for (let i = 0; i < 13; i++) lines.push(`Error: connect ECONNREFUSED 127.0.0.1:${20000 + i}`, `Error: connect ECONNREFUSED 127.0.0.1:${20000 + i}`);
  lines.push('something else 1', 'something else 2', 'something else 3');
  const t = why(['--root', HEALTHY, '-'], lines.join('\n'));
  assert.match(t.stdout, /not answered: 3 more distinct messages were not answered \(at most 10 are\)/);
  assert.match(t.stdout, /not answered: 3 distinct lines were not recognised/);
  const j = JSON.parse(why(['--root', HEALTHY, '--json', '-'], lines.join('\n')).stdout) as { answers: unknown[]; leftOut: { messages: number; unrecognised: number; inputCut: boolean; cap: number } };
  assert.equal(j.answers.length, 10);
  assert.deepEqual(j.leftOut, { messages: 3, unrecognised: 3, inputCut: false, cap: 10 });
  // Nothing left out: nothing said.
  const one = why(['--root', HEALTHY, '-'], lines.slice(0, 2).join('\n'));
  assert.doesNotMatch(one.stdout, /not answered:/);
});

test('why - with nothing on stdin: a usage error, exit 3', () => {
  const t = why(['--root', HEALTHY, '-'], '\n\n');
  assert.equal(t.code, 3);
  assert.match(t.stderr, /no log line on stdin/);
});
