/**
 * Live: sockdoc under a seccomp filter that refuses netlink sockets (what a RestrictAddressFamilies=
 * unit gets). ss would fall back to /proc/net/tcp and show every backlog as 0, which once made
 * "Accept queue … is full: 2 waiting, limit 0" and exit 2. The backlog must be unknown instead.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildNoNetlink } from '../testing/no-netlink.js';
import { repoRoot } from '../testing/paths.js';

const isRoot = process.getuid?.() === 0;
const MAIN = join(repoRoot, 'dist', 'src', 'cli', 'main.js');

test('live: sock_diag refused by seccomp gives backlog null, a denied probe, partial, and no critical', { skip: isRoot ? false : 'needs root: unshare -n' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-nonetlink-'));
  try {
    const launcher = buildNoNetlink(dir);
    // In a private network namespace: a listener with backlog 16 and two connections it never accepts.
    // The diagnosis is narrowed to that namespace (--netns PID of the holder): the verdicts below are
    // about it, not about whatever else runs on this host (another namespace's full queue, a process
    // out of fds are critical there, and rightly so).
    const holder = `import socket,time
s=socket.socket(); s.bind(('127.0.0.1',8700)); s.listen(16)
c=[socket.create_connection(('127.0.0.1',8700)) for _ in range(2)]
open('${dir}/ready','w').write('1'); time.sleep(20)`;
    const script = `ip link set lo up
python3 -c "$HOLDER" & h=$!
for i in $(seq 100); do [ -s '${dir}/ready' ] && break; sleep 0.05; done
'${launcher}' '${process.execPath}' '${MAIN}' --json --interval 0 --netns "$h"; echo "exit=$?" >&2
kill $h`;
    const r = spawnSync('unshare', ['-n', 'sh', '-c', script], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, HOLDER: holder } });
    assert.equal(r.error, undefined);
    const exit = Number(/exit=(\d+)/.exec(r.stderr)?.[1]);
    const d = JSON.parse(r.stdout) as {
      partial: boolean;
      exitCode: number;
      notes: string[];
      findings: Array<{ id: string; severity: string }>;
      listeners: Array<{ port: number; acceptQueue: number; backlog: number | null; backlogSource: string | null }>;
      probes: Array<{ probe: string; status: string; detail?: string }>;
    };
    const l = d.listeners.find((x) => x.port === 8700);
    assert.ok(l, 'the listener is seen (from /proc/net/tcp)');
    assert.equal(l.acceptQueue, 2);
    assert.equal(l.backlog, null, 'unknown, never 0');
    assert.equal(l.backlogSource, null);
    const probe = d.probes.find((p) => p.probe === 'sock-diag');
    assert.equal(probe?.status, 'denied');
    assert.match(probe?.detail ?? '', /refused .*EAFNOSUPPORT.*RestrictAddressFamilies=/);
    assert.equal(d.partial, true);
    assert.ok(d.notes.some((n) => /backlog limits of listeners are unknown/.test(n)), d.notes.join(' | '));
    assert.deepEqual(d.findings.filter((f) => f.severity === 'critical'), []);
    assert.notEqual(d.exitCode, 2);
    assert.equal(exit, d.exitCode);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
