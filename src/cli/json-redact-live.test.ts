/**
 * Command lines and names in every output go through the one redaction model (docs/safety.md §5,
 * docs/json-schema.md): `sockdoc --json` printed every process's cmdline unredacted
 * (processes[].cmdline) and a secret title in processes[].name; a capture kept the first 15 bytes
 * of a secret title in proc/PID/stat and status `Name:`. Live processes carry a secret in their
 * argv, a title that is itself the option (`exec -a -pPW mysql`: comm mysql), and a comm set to the
 * option; neither JSON, the terminal report nor the capture holds any of them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath } from '../testing/paths.js';
import { treeText } from '../testing/tree-text.js';

/** A python process with exactly `argv` (then its script's path) and, when given, its comm set to `comm` (what prctl PR_SET_NAME does); the secret is in no code. */
function titled(script: string, argv: string[], comm?: string): ChildProcess {
  const py = `import os, sys\nos.execv(sys.executable, ${JSON.stringify([argv[0], script, ...argv.slice(1)])})`;
  return spawn('/usr/bin/python3', ['-c', py], { stdio: ['pipe', 'pipe', 'ignore'], detached: true, env: { ...process.env, SOCKDOC_TEST_COMM: comm ?? '' } });
}

test('live: --json, the terminal report and a capture carry no secret of a cmdline or a title', { timeout: 120_000 }, async () => {
  const tag = `${process.pid}${Math.random().toString(36).slice(2, 6)}`;
  const A = `ZqA9${tag}x`;
  const B = `ZqB9${tag}y`;
  const C = `ZqC9${tag}`.slice(0, 12);
  const top = mkdtempSync(join(tmpdir(), 'sockdoc-jsonredact-'));
  const script = join(top, 'titled.py');
  writeFileSync(script, `import os, sys\nif os.environ.get('SOCKDOC_TEST_COMM'):\n    open('/proc/self/comm', 'w').write(os.environ['SOCKDOC_TEST_COMM'])\nprint("ready", flush=True)\nsys.stdin.read()\n`);
  const children = [titled(script, ['app', `--password=${A}`, '-H', `Authorization: Bearer ${A}`]), titled(script, [`-p${B}`, 'shop'], 'mysql'), titled(script, [`-p${C}`], `-p${C}`)];
  try {
    await Promise.all(children.map((c) => once(c.stdout!, 'data')));
    const pids = children.map((c) => c.pid).join(',');
    for (const pid of children.map((c) => c.pid as number)) assert.ok(readFileSync(`/proc/${pid}/cmdline`, 'latin1').length > 0);
    // Every process (--pid narrows to one; the document lists every process read).
    const json = spawnSync(process.execPath, [cliPath, '--json', '--interval', '0'], { encoding: 'utf8', timeout: 100_000, maxBuffer: 256 << 20 });
    assert.equal(json.error, undefined);
    const doc = JSON.parse(json.stdout) as { processes: Array<{ pid: number; name: string; cmdline: string }> };
    const mine = doc.processes.filter((p) => children.some((c) => c.pid === p.pid));
    assert.equal(mine.length, 3, json.stdout.slice(0, 2000));
    for (const s of [A, B, C]) assert.ok(!json.stdout.includes(s), `--json holds ${s}: ${JSON.stringify(mine)}`);
    assert.ok(mine.some((p) => p.cmdline.includes('--password=REDACTED')), JSON.stringify(mine));
    assert.ok(mine.some((p) => p.name === '-pREDACTED'), 'the title that is the option is redacted, its shape kept');
    for (const ch of children) {
      for (const cmd of [['--pid', String(ch.pid), '--interval', '0', '--verbose'], ['limits', String(ch.pid)]]) {
        const text = spawnSync(process.execPath, [cliPath, ...cmd], { encoding: 'utf8', timeout: 100_000, env: { ...process.env, NO_COLOR: '1' } });
        for (const s of [A, B, C]) assert.ok(!text.stdout.includes(s) && !text.stderr.includes(s), `${cmd.join(' ')} holds ${s}`);
      }
    }
    const dir = join(top, 'cap');
    const cap = spawnSync(process.execPath, [cliPath, 'capture', dir, '--pid', pids], { encoding: 'utf8', timeout: 100_000 });
    assert.equal(cap.status, 0, cap.stderr);
    const all = treeText(dir);
    for (const s of [A, B, C]) assert.ok(!all.includes(s), `the capture holds ${s}`);
    const c = children[2].pid as number;
    assert.match(readFileSync(join(dir, `proc/${c}/stat`), 'latin1'), /^\d+ \(-pREDACTED\) /);
    assert.match(readFileSync(join(dir, `proc/${c}/status`), 'latin1'), /^Name:\t-pREDACTED$/m);
  } finally {
    for (const ch of children) {
      try {
        process.kill(-(ch.pid as number), 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(top, { recursive: true, force: true });
  }
});
