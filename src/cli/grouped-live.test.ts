/**
 * Grouping on a real host (issue 23): 300 full listeners across 30 `ip netns` namespaces of our own,
 * owned by 3 programs (one process per namespace, named by prctl(PR_SET_NAME) with a name unique to
 * this run). The report of those namespaces fits 60 rows at 100 columns and names the 3 groups; the
 * whole host's JSON holds all 300 findings and groups that hold each exactly once; the whole host's
 * terminal report names each group once. Every assertion is about what this test made: the host may
 * hold other full queues (the troubled host of CI, other tests).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { cliPath } from '../testing/paths.js';
import { scene } from '../testing/netns-peers.js';
import { runSuffix } from '../testing/unique.js';
import { buildSnapshot } from '../snapshot/build.js';
import { restrictToNetns } from '../snapshot/select-netns.js';
import { diagnose } from './diagnose.js';
import { renderDiagnosis } from '../render/terminal.js';
import { DEFAULT_RULE_OPTIONS } from '../rules/types.js';
import type { DiagnosisJson } from '../render/json.js';

const isRoot = process.getuid?.() === 0;
const NAMESPACES = 30;
const PER_NAMESPACE = 10;

/**
 * A holder: names itself, listens with backlog 0 on PER_NAMESPACE loopback ports and connects twice
 * to each (the first connection fills the queue: 1 > 0), says "ready", and exits when its stdin
 * closes or after 120 s, whichever comes first.
 */
const HOLDER = `
import ctypes, select, socket, sys
name, first, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ctypes.CDLL(None).prctl(15, name.encode(), 0, 0, 0)
keep = []
for port in range(first, first + count):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(0)
    keep.append(s)
    for _ in range(2):
        c = socket.socket()
        c.setblocking(False)
        try:
            c.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        keep.append(c)
print("ready", flush=True)
select.select([sys.stdin], [], [], 120)
`;

function rows(text: string, columns = 100): number {
  return text.trimEnd().split('\n').reduce((n, l) => n + Math.max(1, Math.ceil(l.length / columns)), 0);
}

test('live: 300 full listeners in 30 namespaces of 3 programs are 3 groups; JSON keeps all 300', { skip: !isRoot && 'needs root (ip netns)', timeout: 240_000 }, async (t) => {
  const s = scene();
  const suffix = `${process.pid % 1000}${runSuffix()}`;
  const programs = ['a', 'b', 'c'].map((x) => `g${suffix}${x}`.slice(0, 15));
  const names = Array.from({ length: NAMESPACES }, (_, i) => `sockdoc-grp-${suffix}-${i}`);
  const holders: ChildProcess[] = [];
  try {
    for (const ns of names) s.netns(ns);
    await Promise.all(
      names.map((ns, i) => {
        const child = spawn('ip', ['netns', 'exec', ns, 'python3', '-c', HOLDER, programs[i % 3], '9100', String(PER_NAMESPACE)], { stdio: ['pipe', 'pipe', 'inherit'] });
        holders.push(child);
        return new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`holder in ${ns}: not ready after 20 s`)), 20_000);
          createInterface({ input: child.stdout! }).on('line', (line) => {
            if (line === 'ready') {
              clearTimeout(timer);
              resolve();
            }
          });
          child.on('exit', (code) => {
            clearTimeout(timer);
            reject(new Error(`holder in ${ns} exited ${code}`));
          });
        });
      }),
    );
    const mine = (label: string | undefined) => label !== undefined && names.some((n) => label === n);

    // What this test made, alone: the report of its 30 namespaces.
    const whole = await buildSnapshot({ intervalMs: 1000 });
    const own = whole.namespaces.filter((n) => mine(n.name));
    assert.equal(own.length, NAMESPACES);
    const d = diagnose(restrictToNetns(whole, own), DEFAULT_RULE_OPTIONS, {});
    // Host-wide findings (softnet drops, the file table …) stay in a narrowed report: not ours to judge.
    d.findings = d.findings.filter((f) => mine(f.subject.netns?.name));
    assert.equal(d.findings.filter((f) => f.id === 'accept-queue-full').length, NAMESPACES * PER_NAMESPACE);
    const report = renderDiagnosis(d, { color: false, columns: 100 });
    t.diagnostic(`report of the 30 namespaces: ${rows(report)} rows at 100 columns`);
    assert.ok(rows(report) <= 60, `${rows(report)} rows:\n${report}`);
    for (const p of programs) assert.ok(report.includes(`100 listeners of ${p} in 10 namespaces: accept-queue-full`), `${p}:\n${report}`);

    // The whole host through the command: JSON keeps every finding of ours, and adds the groups.
    const json = spawnSync(process.execPath, [cliPath, '--json'], { encoding: 'utf8', timeout: 120_000, maxBuffer: 512 * 1024 * 1024, cwd: '/' });
    assert.equal(json.error, undefined);
    const j = JSON.parse(json.stdout) as DiagnosisJson;
    const ours = j.findings.filter((f) => f.id === 'accept-queue-full' && mine(f.subject.netns?.name));
    assert.equal(ours.length, NAMESPACES * PER_NAMESPACE);
    for (const p of programs) {
      const g = j.groups.filter((x) => x.id === 'accept-queue-full' && x.program === p);
      assert.equal(g.length, 1, p);
      assert.equal(g[0].count, 100);
      assert.equal(g[0].namespaces.length, 10);
      assert.deepEqual(new Set(g[0].refs), new Set(ours.filter((f) => f.subject.name === p).map((f) => f.ref)));
    }
    const inGroups = j.groups.flatMap((g) => g.refs);
    assert.equal(inGroups.length, j.findings.length, 'each finding in exactly one group');

    // The whole host's terminal report: each of our groups named once; no block per listener of ours.
    const text = spawnSync(process.execPath, [cliPath, '--no-color'], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024, cwd: '/', env: { ...process.env, NO_COLOR: '1' } });
    t.diagnostic(`whole host: ${rows(text.stdout)} rows at 100 columns`);
    for (const p of programs) assert.equal(text.stdout.split(`100 listeners of ${p} in 10 namespaces: accept-queue-full`).length, 2, text.stdout);
    const ourLines = text.stdout.split('\n').filter((l) => l.includes(`sockdoc-grp-${suffix}-`));
    assert.ok(ourLines.length <= 30, `${ourLines.length} lines about our namespaces:\n${text.stdout}`);
  } finally {
    for (const h of holders) if (h.exitCode === null) h.kill('SIGKILL');
    assert.deepEqual(s.close(), []);
  }
});
