/**
 * A launcher another user controls: supervisord started from a user-owned file with `;` in its argv,
 * and a shell whose script is a FIFO. The fix never tells root to run the user's file (it names the
 * owner), every word is quoted, and nothing blocks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, fixture } from '../testing/paths.js';

const isRoot = process.getuid?.() === 0;

function limitsJson(root: string, pid: number): Array<{ fix: string[]; notes: string[] }> {
  const r = spawnSync(process.execPath, [cliPath, 'limits', '--root', root, String(pid), '--json'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.error, undefined, 'finished within 20 s');
  assert.doesNotMatch(r.stderr, /internal error/);
  return JSON.parse(r.stdout);
}

test('a user-owned supervisord launcher with ; in its argv: the restart is a comment naming the owner, quoted', { skip: isRoot ? false : 'needs root to chown' }, () => {
  const top = mkdtempSync(join(tmpdir(), 'sockdoc-launcher-'));
  try {
    const root = join(top, 'tree');
    cpSync(fixture('limits', 'supervisord-not-restarted'), root, { recursive: true });
    writeFileSync(join(root, 'proc/5100/cmdline'), "/srv/jobs/supervisord\0-c\0/srv/jobs/supervisord.conf\0'; touch pwned #\0");
    writeFileSync(join(root, 'srv/jobs/supervisord'), '#!/bin/sh\n');
    chownSync(join(root, 'srv/jobs/supervisord'), 65534, 65534);
    const fix = limitsJson(root, 5120)[0].fix;
    assert.ok(!fix.some((l) => /^\/srv\/jobs\/supervisord /.test(l)), `root is never told to run it:\n${fix.join('\n')}`);
    assert.ok(fix.some((l) => l.startsWith(`# not offered: /srv/jobs/supervisord -c /srv/jobs/supervisord.conf ''\\''; touch pwned #'`)), fix.join('\n'));
    assert.ok(fix.some((l) => /^# do not run that as root: supervisord then reads \/srv\/jobs\/supervisord\.conf .*, and \/srv\/jobs\/supervisord is owned by uid 65534( \(nobody\))?; check it/.test(l)), fix.join('\n'));
    assert.ok(fix.some((l) => /^kill -TERM 5100 {3}#/.test(l)), fix.join('\n'));
    for (const line of fix) spawnSync('bash', ['-c', `: ${line}`], { cwd: top });
    assert.equal(spawnSync('test', ['-e', join(top, 'pwned')]).status, 1, 'no fix line ran the payload');
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
});

test('a shell whose script is a FIFO: no hang, the gap is noted, the fix quotes nothing unquoted', () => {
  const top = mkdtempSync(join(tmpdir(), 'sockdoc-fifo-launcher-'));
  try {
    const root = join(top, 'tree');
    cpSync(fixture('limits', 'shell-ulimit'), root, { recursive: true });
    rmSync(join(root, 'opt/legacy/start.sh'));
    execFileSync('mkfifo', [join(root, 'opt/legacy/start.sh')]);
    const t0 = performance.now();
    const o = limitsJson(root, 6020)[0];
    assert.ok(performance.now() - t0 < 20_000);
    assert.ok(o.notes.some((n) => /start\.sh.*(ENOTREG|not a regular file|a pipe or device)/.test(n)), o.notes.join(' | '));
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
});
