/**
 * The lab without root: no namespace, 127.0.0.1 in the host namespace, and notes saying what
 * differs. Run for real as the `nobody` user (CI is root, so this is how the path gets exercised).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cliPath } from '../testing/paths.js';
import type { ScenarioResult } from './types.js';

const asRoot = process.getuid?.() === 0;
const hasRunuser = spawnSync('sh', ['-c', 'command -v runuser'], { stdio: 'ignore' }).status === 0;
/** A checkout under a private directory (mode 700 somewhere above) cannot be run by nobody. */
const nobodyCanRun = asRoot && hasRunuser && spawnSync('runuser', ['-u', 'nobody', '--', 'test', '-r', cliPath], { stdio: 'ignore' }).status === 0;

for (const name of ['close-wait-leak', 'fd-leak']) {
  test(`lab ${name} as an unprivileged user runs on 127.0.0.1 and says what differs`, {
    skip: !asRoot ? 'needs root to switch to nobody' : !hasRunuser ? 'needs runuser (util-linux)' : !nobodyCanRun ? `nobody cannot read ${cliPath}` : false,
    timeout: 60_000,
  }, () => {
    const r = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, cliPath, 'lab', name, '--json'], { encoding: 'utf8', timeout: 45_000 });
    assert.equal(r.status, 0, `exit ${r.status}: ${r.stderr}\n${r.stdout.slice(0, 2000)}`);
    const result = JSON.parse(r.stdout) as ScenarioResult;
    assert.equal(result.mode, 'host');
    assert.equal(result.ok, true);
    assert.deepEqual(result.differences, []);
    assert.ok(result.notes.some((n) => n.startsWith('Not root: no lab namespace.')), result.notes.join('\n'));
    // Nothing left running as nobody from this lab.
    const left = spawnSync('pgrep', ['-u', 'nobody', '-f', result.labId], { encoding: 'utf8' });
    assert.equal(left.stdout.trim(), '', `lab processes left: ${left.stdout}`);
  });
}
