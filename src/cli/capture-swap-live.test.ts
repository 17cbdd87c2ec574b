/**
 * The ancestor swap (issue 18): root captures into DIR below a directory another user owns; that
 * user swaps an ancestor of DIR for a link to a directory of its choosing (the victim), in a tight
 * loop (renameat2 RENAME_EXCHANGE: the swap is atomic, and undone on the next turn), while the
 * capture is written. Checks that only named the target and its parent were passed, then the path
 * was walked again for each write: captures landed in the victim. Now the directory above DIR is
 * opened by a walk that never follows another user's link, and every write goes through directory
 * fds: nothing may land in the victim, whatever the timing. Also: capture still works through a
 * root's own link (/var/run → /run), in a sticky directory, and refuses another user's link.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, chownSync, closeSync, cpSync, existsSync, lchownSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, fixture } from '../testing/paths.js';
import { abandonCapture, CaptureError, finishCapture, openCapture } from '../snapshot/capture-dir.js';
import { captureInto } from '../snapshot/capture.js';

const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

/** The attacker: swaps home/a (a real directory) and home/a.link (a link to the victim's parent) until killed. */
const SWAPPER = `import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
os.chdir(sys.argv[1])
n = 0
print("ready", flush=True)
while True:
    if libc.renameat2(-100, b"a", -100, b"a.link", 2) == 0:
        n += 1
        if n % 1000 == 0:
            open("count.tmp", "w").write(str(n)); os.replace("count.tmp", "count")
`;

/** A small host tree to capture from (a service and pid 1, with fd directories): many captures a second. */
function sourceTree(top: string): string {
  const src = join(top, 'src');
  cpSync(fixture('limits', 'systemd-unit'), src, { recursive: true });
  for (const pid of ['1', '812']) mkdirSync(join(src, 'proc', pid, 'fd'));
  symlinkSync('socket:[4242]', join(src, 'proc', '812', 'fd', '3'));
  return src;
}

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(r.error, undefined);
  return r;
}

test('live: another user swapping an ancestor of DIR in a tight loop lands nothing of root\'s capture in the victim directory', { skip: isRoot ? false : 'needs root (a real non-root attacker, chown)' }, async (t) => {
  const top = mkdtempSync(join(tmpdir(), 'sockdoc-swap-'));
  chmodSync(top, 0o755);
  const home = join(top, 'home'); // the user's
  const victim = join(top, 'vroot', 'b'); // root's: the user cannot write here
  mkdirSync(home);
  chownSync(home, NOBODY, NOBODY);
  mkdirSync(victim, { recursive: true });
  // What root meant: home/a/b/cap, where a and b are root's.
  mkdirSync(join(home, 'a', 'b'), { recursive: true });
  symlinkSync('../vroot', join(home, 'a.link'));
  lchownSync(join(home, 'a.link'), NOBODY, NOBODY);
  const realB = openSync(join(home, 'a', 'b'), 'r');
  const src = sourceTree(top);
  const attacker = spawn('/usr/bin/python3', ['-c', SWAPPER, home], { uid: NOBODY, gid: NOBODY, stdio: ['ignore', 'pipe', 'inherit'] });
  const outcomes = { landed: 0, refused: 0, cli: [] as number[] };
  try {
    await once(attacker.stdout!, 'data');
    const target = join(home, 'a', 'b', 'cap');
    const clean = () => rmSync(`/proc/self/fd/${realB}/cap`, { recursive: true, force: true });
    const deadline = Date.now() + 3000;
    for (let i = 0; i < 400 && (Date.now() < deadline || i < 20); i++) {
      let w;
      try {
        w = openCapture(target);
      } catch (err) {
        assert.ok(err instanceof CaptureError, String(err));
        outcomes.refused++;
        assert.deepEqual(readdirSync(victim), [], `attempt ${i}: refused, and nothing in the victim`);
        continue;
      }
      try {
        captureInto(w, { root: src, pids: [812] });
        finishCapture(w);
        outcomes.landed++;
      } catch (err) {
        abandonCapture(w);
        throw err;
      }
      assert.deepEqual(readdirSync(victim), [], `attempt ${i}: nothing in the victim`);
      assert.ok(existsSync(`/proc/self/fd/${realB}/cap/proc/812/limits`), `attempt ${i}: the capture is where root meant it`);
      clean();
    }
    // The real command, as root would run it, under the same attack.
    for (let i = 0; i < 2; i++) {
      const r = cli(['capture', target, '--pid', String(process.pid)]);
      outcomes.cli.push(r.status ?? -1);
      assert.ok(r.status === 0 || r.status === 1 || (r.status === 3 && /symbolic link that another user|changed while it was opened/.test(r.stderr)), r.stderr);
      assert.doesNotMatch(r.stderr, /internal error/);
      assert.deepEqual(readdirSync(victim), [], `sockdoc capture ${i}: nothing in the victim`);
      clean();
    }
  } finally {
    attacker.kill('SIGKILL');
    closeSync(realB);
  }
  const swaps = Number(spawnSync('cat', [join(home, 'count')], { encoding: 'utf8' }).stdout || 0);
  t.diagnostic(`${swaps} swaps; API captures: ${outcomes.landed} landed where meant, ${outcomes.refused} refused; sockdoc capture exits ${outcomes.cli.join(' ')}`);
  try {
    assert.ok(swaps >= 1000, `the attacker swapped ${swaps} times`);
    assert.ok(outcomes.landed + outcomes.refused >= 20, JSON.stringify(outcomes));
    assert.deepEqual(readdirSync(victim), []);
    assert.deepEqual(readdirSync(join(top, 'vroot')), ['b'], 'nothing beside the victim either');
    assert.ok(outcomes.landed > 0, `captures still land where root meant them under attack: ${JSON.stringify(outcomes)}`);
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
});

test('live: capture follows root\'s own links and works in a sticky directory; refuses another user\'s link and a parent another user owns', { skip: isRoot ? false : 'needs root (chown)' }, () => {
  const top = mkdtempSync(join(tmpdir(), 'sockdoc-capwalk-'));
  try {
    chmodSync(top, 0o755);
    mkdirSync(join(top, 'real'));
    symlinkSync('real', join(top, 'rootlink')); // root's link in root's directory: followed (as /var/run -> /run)
    const sticky = join(top, 'sticky');
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    mkdirSync(join(sticky, 'mine'));
    symlinkSync(join(top, 'real'), join(sticky, 'theirs'));
    lchownSync(join(sticky, 'theirs'), NOBODY, NOBODY);
    mkdirSync(join(sticky, 'userdir'));
    chownSync(join(sticky, 'userdir'), NOBODY, NOBODY);
    const src = sourceTree(top);
    const ok = (dir: string) => {
      const w = openCapture(dir);
      captureInto(w, { root: src, pids: [812] });
      finishCapture(w);
    };
    ok(join(top, 'rootlink', 'cap'));
    assert.ok(existsSync(join(top, 'real', 'cap', 'proc', '812', 'limits')));
    ok(join(sticky, 'cap'));
    ok(join(sticky, 'mine', 'cap'));
    assert.throws(() => openCapture(join(sticky, 'theirs', 'cap')), /theirs is a symbolic link that another user could have made or swapped \(uid 65534/);
    assert.throws(() => openCapture(join(sticky, 'userdir', 'cap')), /userdir: it belongs to uid 65534/);
    assert.deepEqual(readdirSync(join(top, 'real')), ['cap'], 'nothing more through the refused link');
    assert.deepEqual(readdirSync(join(sticky, 'userdir')), []);
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
});
