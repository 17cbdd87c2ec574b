/**
 * `sockdoc port P` run on the host about a listener that lives only inside an `ip netns` namespace
 * of our own (named with shell metacharacters), whose accept queue is full: the first line says
 * the worst (a full queue), the fix enters the namespace by its quoted name; run as nobody, the
 * namespace cannot be read, and the answer says so instead of "nothing listens in N namespaces".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cliPath } from '../testing/paths.js';
import { scene } from '../testing/netns-peers.js';
import { portFreeEverywhere } from '../testing/free-port.js';
import { runSuffix } from '../testing/unique.js';

const isRoot = process.getuid?.() === 0;

function port(p: number, asNobody = false) {
  const args = [cliPath, 'port', String(p), '--interval', '0', '--no-color'];
  const [cmd, argv] = asNobody
    ? ['setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, ...args]]
    : [process.execPath, args];
  const r = spawnSync(cmd as string, argv as string[], { encoding: 'utf8', timeout: 60_000, cwd: '/', env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(r.error, undefined);
  return r;
}

test('live: port P only inside an ip netns namespace with a full queue; then as nobody', { skip: !isRoot && 'needs root (ip netns)', timeout: 120_000 }, async () => {
  const s = scene();
  const ns = `sockdoc-aw-${process.pid}-${runSuffix()};x`;
  // The verdict is about every namespace of the host: a port nothing else uses anywhere.
  const p = portFreeEverywhere();
  try {
    s.netns(ns, 4);
    await s.peer(ns, ['stuck', String(p)]);
    await s.peer(ns, ['clients', String(p), '12']);

    const r = port(p);
    assert.equal(r.status, 2, r.stderr);
    const [first] = r.stdout.split('\n');
    assert.match(first, new RegExp(`^CRITICAL {2}Port ${p} listens only inside netns sockdoc-aw-\\d+-[0-9a-f]+;x: not at this host's addresses; and Accept queue of 127\\.0\\.0\\.1:${p} in netns sockdoc-aw-\\d+-[0-9a-f]+;x is full`));
    assert.ok(r.stdout.includes(`ip netns exec '${ns}' ss -ltnp 'sport = :${p}'`), r.stdout);
    assert.doesNotMatch(r.stdout, /docker|nsenter -n -t PID/);
    // The fix works as printed: pasted into a shell, it shows the listener.
    const fix = r.stdout.split('\n').find((l) => l.includes('ip netns exec'))!.trim();
    const ss = spawnSync('bash', ['-c', fix], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(ss.status, 0, ss.stderr);
    assert.match(ss.stdout, new RegExp(`LISTEN\\s+5\\s+4\\s+127\\.0\\.0\\.1:${p}`), 'ss inside: 5 queued, backlog 4');

    const nobody = port(p, true);
    assert.equal(nobody.status, 2, nobody.stderr);
    assert.match(nobody.stdout.split('\n')[0], new RegExp(`^CRITICAL {2}Nothing listens on port ${p} in the \\d+ network namespaces? sockdoc read; \\d+ more could not be read \\(not root\\)`));
    assert.match(nobody.stdout.replace(/\s+/g, ' '), /The sockets of netns .* could not be read \(entering a network namespace needs root/);
    assert.ok(nobody.stdout.includes(`sudo sockdoc port ${p}`));
  } finally {
    assert.deepEqual(s.close(), []);
  }
});
