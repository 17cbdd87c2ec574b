/**
 * Masked units on the live host (issue 18): Debian ships units linked to /dev/null (cryptdisks,
 * hwclock, rc, x11-common); `sockdoc capture` once refused them as "ESCAPE ... never under /dev" and
 * exited 1. A uniquely named masked unit is made under /etc/systemd/system for this test (removed in
 * finally): the capture exits 0, records it as a link to /dev/null, says so, and replays with --root.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath } from '../testing/paths.js';

const isRoot = process.getuid?.() === 0;

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(r.error, undefined);
  return r;
}

test('live: a masked unit under /etc/systemd/system: capture exits 0, records the link, and the capture replays', { skip: isRoot && existsSync('/etc/systemd/system') ? false : 'needs root and /etc/systemd/system' }, () => {
  const unit = `sockdoc-masked-${process.pid}-${Math.random().toString(36).slice(2, 8)}.service`;
  const link = join('/etc/systemd/system', unit);
  const top = mkdtempSync(join(tmpdir(), 'sockdoc-masked-'));
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    symlinkSync('/dev/null', link);
    const dir = join(top, 'cap');
    const r = cli(['capture', dir, '--pid', String(child.pid)]);
    assert.equal(r.status, 0, `capture exit ${r.status}:\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /ESCAPE|never under \/dev/);
    assert.match(r.stdout, new RegExp(`recorded \\d+ masked unit files? as links to /dev/null \\(they cannot be started\\): .*${unit.replace(/\./g, '\\.')}`));
    assert.equal(readlinkSync(join(dir, 'etc/systemd/system', unit)), '/dev/null');
    // Replays: the diagnosis and limits read the capture without an error of their own.
    const diag = cli(['--root', dir, '--interval', '0', '--json']);
    assert.ok(diag.status !== null && diag.status <= 2, diag.stderr);
    assert.doesNotMatch(diag.stderr, /internal error/);
    assert.ok(JSON.parse(diag.stdout).processes.some((p: { pid: number }) => p.pid === child.pid));
    const limits = cli(['limits', '--root', dir, String(child.pid)]);
    assert.equal(limits.status, 0, limits.stderr);
  } finally {
    child.kill('SIGKILL');
    rmSync(link, { force: true });
    rmSync(top, { recursive: true, force: true });
  }
});
