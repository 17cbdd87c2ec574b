/**
 * inotify limits, live (issue 21), without touching this machine's own limit: an unused uid creates
 * a user namespace, lowers max_inotify_instances to 8 inside it (its root may: CAP_SYS_RESOURCE in
 * its own namespace), and creates instances until inotify_init1 fails with EMFILE. sockdoc, from
 * the host, must name that uid in that namespace at its limit, with its holder, the fix inside the
 * namespace, and no RLIMIT_NOFILE fix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readlinkSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { cliPath } from '../testing/paths.js';
import type { DiagnosisJson } from '../render/json.js';

const asRoot = process.getuid?.() === 0;
const hasTools = spawnSync('sh', ['-c', 'command -v unshare && command -v setpriv && command -v nsenter && command -v python3'], { stdio: 'ignore' }).status === 0;
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const userns = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'unshare', '-U', '-r', 'true']).status === 0;
const skip = !asRoot ? 'needs root: setpriv' : !hasTools ? 'needs unshare, setpriv, nsenter, python3' : !userns ? 'unprivileged user namespaces are disabled here' : false;

// Inside the namespace (root there): lower the limit, then create instances until EMFILE.
const HOLDER = `
import ctypes, os, sys, time
open("/proc/sys/user/max_inotify_instances", "w").write("8")
libc = ctypes.CDLL(None, use_errno=True)
held = []
while True:
    fd = libc.inotify_init1(0)
    if fd < 0:
        break
    held.append(fd)
    libc.inotify_add_watch(fd, b"/", 0x100)
print("ready", os.getpid(), len(held), os.strerror(ctypes.get_errno()), flush=True)
time.sleep(60)
`;

function sockdoc(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cliPath, ...args], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1', COLUMNS: '200' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('a uid at its inotify instance limit inside a user namespace: named with its holder, fixed there, never with RLIMIT_NOFILE', { skip, timeout: 120_000 }, async () => {
  // A uid no account uses, unique per run: the finding is about this test's uid only.
  const uid = 60000 + (process.pid % 5000);
  let child: ChildProcess | null = null;
  try {
    child = spawn('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', 'unshare', '-U', '-r', PYTHON, '-c', HOLDER], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await Promise.race([once(createInterface({ input: child.stdout! }), 'line'), once(child, 'exit').then(() => ['exited'])])) as [string];
    const [word, pid, count] = line.split(' ');
    assert.equal(word, 'ready', line);
    assert.equal(count, '8', 'the namespace held it to 8');
    assert.match(line, /Too many open files/);
    const holder = Number(pid);
    const nsInode = Number(/\d+/.exec(readlinkSync(`/proc/${holder}/ns/user`))?.[0]);

    const r = sockdoc(['--json', '--interval', '0']);
    const j = JSON.parse(r.stdout) as DiagnosisJson;
    const f = j.findings.find((x) => x.id === 'inotify-instances-exhausted' && x.subject.uid === uid);
    assert.ok(f, `findings: ${j.findings.map((x) => x.ref).join(', ')}\n${r.stderr}`);
    assert.equal(f.ref, `inotify-instances-exhausted@uid:${uid}@userns:${nsInode}`);
    assert.deepEqual({ uid: f.subject.uid, userns: f.subject.userns, pid: f.subject.pid }, { uid, userns: nsInode, pid: holder });
    assert.equal(f.severity, 'critical');
    assert.equal(f.evidence.used, 8);
    assert.equal(f.evidence.limit, 8);
    assert.equal(f.evidence.sysctl, 'user.max_inotify_instances');
    assert.equal(f.evidence.holders, `${holder}:8`);
    assert.match(f.title, new RegExp(`^uid ${uid} in user namespace ${nsInode} \\(created by uid ${uid}\\) is out of inotify instances: 8 of 8`));
    assert.match(f.explain, /RLIMIT_NOFILE \(ulimit -n, LimitNOFILE=, prlimit\) is not the lever/);
    assert.ok(f.fix.includes(`nsenter --user --target ${holder} sysctl -w user.max_inotify_instances=1024   # inside the user namespace, where its limit was set: whoever creates it (a container runtime, unshare) should not lower it`), f.fix.join('\n'));
    // No command that changes RLIMIT_NOFILE: only the comment saying it is not the lever.
    const commands = f.fix.filter((l) => !l.startsWith('#')).map((l) => l.split('   #')[0]);
    assert.ok(!commands.some((c) => /prlimit|ulimit|LimitNOFILE/.test(c)), commands.join('\n'));
    const p = j.processes.find((x) => x.pid === holder);
    assert.deepEqual(p?.inotify, { instances: 8, watches: 8 });
    assert.equal(p?.uid, uid);
    // The host's level for this uid (its namespace's owner): 8 of the host's limit, nothing to say.
    assert.ok(!j.findings.some((x) => x.subject.uid === uid && x.subject.userns === undefined), 'the host level stays quiet');

    // What kubectl logs -f or promtail would log, as the way in: `why` finds this uid at its limit.
    const w = sockdoc(['why', '--interval', '0', 'failed to create fsnotify watcher: too many open files']);
    assert.equal(w.status, 2, w.stderr);
    assert.match(w.stdout.split('\n')[0], /^EMFILE: holds now — /);
    assert.match(w.stdout.replace(/\n +/g, ' '), new RegExp(`HOLDS +a uid at fs\\.inotify\\.max_user_instances .*uid ${uid} in user namespace ${nsInode}`));

  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
});
