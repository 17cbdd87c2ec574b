import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cliPath, repoRoot } from '../testing/paths.js';
import { RULES } from '../rules/index.js';

function sockdoc(args: string[]) {
  return spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
}

test('explain ID prints the finding doc verbatim', () => {
  const r = sockdoc(['explain', 'close-wait-unaccepted']);
  assert.equal(r.status, 0);
  assert.equal(r.stdout, readFileSync(`${repoRoot}/docs/findings/close-wait-unaccepted.md`, 'utf8'));
});

test('explain without ID lists every rule id with its description', () => {
  const r = sockdoc(['explain']);
  assert.equal(r.status, 0);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, RULES.length);
  for (const rule of RULES) assert.ok(lines.some((l) => l.startsWith(rule.id + ' ') && l.endsWith(rule.description)), rule.id);
});

test('explain of an unknown or path-like id exits 3 with one line', () => {
  for (const id of ['nope', '../../package']) {
    const r = sockdoc(['explain', id]);
    assert.equal(r.status, 3);
    assert.match(r.stderr.split('\n')[0], /^sockdoc: no finding '/);
  }
});

test('--version prints the package version', () => {
  const pkg = JSON.parse(readFileSync(`${repoRoot}/package.json`, 'utf8')) as { version: string };
  const r = sockdoc(['--version']);
  assert.equal(r.stdout, `sockdoc ${pkg.version}\n`);
});

test('explain knows the newer causes (conntrack, ephemeral ports, TCP memory, orphans, softnet)', () => {
  for (const id of ['conntrack-table-full', 'conntrack-table-near', 'ephemeral-ports-exhausted', 'ephemeral-ports-near', 'tcp-memory-pressure', 'tcp-orphans', 'netdev-backlog-drops']) {
    const r = sockdoc(['explain', id]);
    assert.equal(r.status, 0, id);
    assert.equal(r.stdout, readFileSync(`${repoRoot}/docs/findings/${id}.md`, 'utf8'));
  }
});
