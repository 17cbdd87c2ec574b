/**
 * Golden tests of `sockdoc limits` over the fixture trees in test/fixtures/limits/<case>/: the
 * terminal prose (expected.txt) and the JSON (expected.json). `UPDATE_GOLDEN=1` rewrites them;
 * review the diff before committing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture } from '../testing/paths.js';
import type { Io } from './io.js';
import { run } from './limits.js';

const CASES_DIR = fixture('limits');
const update = process.env.UPDATE_GOLDEN === '1';

/** Runs the command with captured output. */
export async function runLimits(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: Io = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {}, isTTY: false, stderrIsTTY: false, columns: 100 };
  const code = await run(args, io);
  return { code, stdout, stderr };
}

const cases = readdirSync(CASES_DIR, { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(join(CASES_DIR, e.name, 'args.json')))
  .map((e) => e.name)
  .sort();

test('every layer has a fixture case', () => {
  for (const c of ['systemd-unit', 'systemd-default', 'systemd-dropin', 'systemd-builtin-seed', 'supervisord-minfds', 'supervisord-not-restarted', 'pam', 'container', 'shell-ulimit', 'self-raised', 'systemd-219', 'dropin-above-pid1', 'pm2', 'containerd-shim', 'docker-default-ulimits', 'docker-default-ulimit-execstart', 'docker-default-ulimit-sysconfig', 'nginx-workers', 'user-manager', 'systemd-unknown-version', 'pm2-user', 'forever-user']) {
    assert.ok(cases.includes(c), `missing fixture case ${c}`);
  }
});

for (const name of cases) {
  const dir = join(CASES_DIR, name);
  const args = JSON.parse(readFileSync(join(dir, 'args.json'), 'utf8')) as string[];
  for (const [kind, extra, file] of [
    ['terminal', [], 'expected.txt'],
    ['json', ['--json'], 'expected.json'],
  ] as const) {
    test(`limits golden ${name} (${kind})`, async () => {
      const r = await runLimits([...args, ...extra, '--root', dir]);
      assert.equal(r.code, 0);
      assert.equal(r.stderr, '');
      const path = join(dir, file);
      if (update) writeFileSync(path, r.stdout);
      assert.ok(existsSync(path), `${path} missing: run with UPDATE_GOLDEN=1 to create it`);
      assert.equal(r.stdout, readFileSync(path, 'utf8'));
    });
  }
}
