/**
 * Whole diagnoses over captured host trees, through the real binary with --root: the same code
 * that reads a live host. Expected outputs sit beside each tree (UPDATE_GOLDEN=1 rewrites them).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cliPath, fixture, repoRoot } from '../testing/paths.js';
import { assertGoldenFile } from '../testing/golden.js';

const NOW = '2026-11-24T22:00:00.000Z';

function sockdoc(args: string[]) {
  // Run from the repository with a relative --root: output (paths, line wrapping) is then the
  // same in every checkout.
  const r = spawnSync(process.execPath, [cliPath, ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, SOCKDOC_NOW: NOW, NO_COLOR: '1', COLUMNS: '100' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Each host tree, the exit code its diagnosis must give, and findings it must contain. */
const HOSTS: Array<{ tree: string[]; exit: number; must: string[]; mustNot?: string[] }> = [
  {
    tree: ['hosts', 'seed-queue-full'],
    exit: 2,
    must: ['accept-queue-full', 'fd-limit-exhausted', 'backlog-clamped', 'listen-overflows'],
    mustNot: ['close-wait-unaccepted'],
  },
  { tree: ['hosts', 'seed-close-wait'], exit: 2, must: ['close-wait-unaccepted', 'fd-limit-exhausted'] },
  { tree: ['net', 'busy'], exit: 2, must: ['accept-queue-full', 'backlog-clamped'] },
  { tree: ['net', 'clients-gone'], exit: 2, must: ['close-wait-unaccepted'] },
  // The newer causes (scripts/fixtures/make-pressure-hosts.sh: real captures, numbers edited).
  { tree: ['hosts', 'conntrack-full'], exit: 2, must: ['conntrack-table-full'], mustNot: ['conntrack-table-near'] },
  { tree: ['hosts', 'tcp-memory-pressure'], exit: 2, must: ['tcp-memory-pressure', 'tcp-orphans'] },
  // One reading of a capture: drops since boot only, so info (exit 0) — but said.
  { tree: ['hosts', 'softnet-drops'], exit: 0, must: ['netdev-backlog-drops'] },
  // nf_conntrack loaded with 5120 entries, nothing dropped: nothing to say.
  { tree: ['hosts', 'healthy-conntrack'], exit: 0, must: [], mustNot: ['conntrack-table-full', 'conntrack-table-near'] },
];

for (const h of HOSTS) {
  const root = join('test', 'fixtures', ...h.tree);
  const name = h.tree.join('/');
  test(`diagnose --root ${name}: terminal and JSON match the golden files`, () => {
    const text = sockdoc(['--root', root, '--no-color']);
    assert.equal(text.code, h.exit, text.stderr);
    // The root path is printed in the header: make it independent of the checkout location.
    assertGoldenFile(join(repoRoot, root, 'expected.txt'), text.stdout);
    const json = sockdoc(['--root', root, '--json']);
    assert.equal(json.code, h.exit, json.stderr);
    const doc = JSON.parse(json.stdout) as { findings: Array<{ id: string }>; exitCode: number; probes: Array<{ ms: number }> };
    const ids = doc.findings.map((f) => f.id);
    for (const id of h.must) assert.ok(ids.includes(id), `${name}: expected finding ${id}, got ${ids.join(', ')}`);
    for (const id of h.mustNot ?? []) assert.ok(!ids.includes(id), `${name}: unexpected finding ${id}`);
    if (h.must.length === 0) assert.deepEqual(ids, [], `${name}: a healthy host raises nothing`);
    assert.equal(doc.exitCode, h.exit);
    for (const p of doc.probes) p.ms = 0; // durations vary run to run
    assertGoldenFile(join(repoRoot, root, 'expected.json'), JSON.stringify(doc, null, 2) + '\n');
  });
}

test('a --root without proc/net/tcp exits 3 with one line, no stack trace', () => {
  const r = sockdoc(['--root', fixture('limits')]);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /^sockdoc: cannot read TCP sockets under .*proc\/net\/tcp/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('a --root that does not exist exits 3 with one line', () => {
  const r = sockdoc(['--root', '/nonexistent/sockdoc-root']);
  assert.equal(r.code, 3);
  assert.equal(r.stderr.split('\n')[0], 'sockdoc: --root /nonexistent/sockdoc-root: no such directory');
});

test('bad flags exit 3 with one line naming the flag', () => {
  for (const [args, re] of [
    [['--interval', 'soon'], /--interval expects a duration/],
    [['--pid', 'abc'], /--pid expects a whole number/],
    [['--fd-warning', '2'], /--fd-warning must be in/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ] as const) {
    const r = sockdoc([...args]);
    assert.equal(r.code, 3, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr.split('\n')[0], re);
  }
});

test('--pid narrows the diagnosis to one process and its listeners', () => {
  const root = fixture('hosts', 'seed-queue-full');
  const all = JSON.parse(sockdoc(['--root', root, '--json']).stdout) as { processes: unknown[]; listeners: Array<{ pids: number[] }> };
  assert.equal(all.processes.length, 2, 'the tree holds the server and the clients');
  const server = { pid: all.listeners[0].pids[0] };
  const r = sockdoc(['--root', root, '--json', '--pid', String(server.pid)]);
  const doc = JSON.parse(r.stdout) as { processes: Array<{ pid: number }>; findings: Array<{ id: string; subject: { pid?: number } }> };
  assert.deepEqual(doc.processes.map((p) => p.pid), [server.pid]);
  assert.ok(doc.findings.every((f) => f.subject.pid === undefined || f.subject.pid === server.pid));
});

test('a trimmed capture (only proc/net/tcp) is partial and says what it could not judge', () => {
  const root = join('test', 'fixtures', 'hosts', 'trimmed');
  const r = sockdoc(['--root', root, '--json']);
  const doc = JSON.parse(r.stdout) as { partial: boolean; notes: string[]; listeners: Array<{ backlog: number | null; acceptQueue: number }> };
  assert.equal(doc.partial, true);
  assert.ok(doc.notes.some((n) => n.startsWith('TCP counters (proc/net/netstat) could not be read')), doc.notes.join('\n'));
  assert.ok(doc.notes.some((n) => n.includes('net.core.somaxconn')), 'names the missing tunables');
  assert.ok(doc.notes.some((n) => n.includes('backlog limits of listeners are unknown')));
  assert.ok(doc.listeners.some((l) => l.acceptQueue === 129 && l.backlog === null), 'the queue is still shown, its limit honestly null');
  const text = sockdoc(['--root', root, '--no-color']);
  assert.match(text.stdout, /Counters {2}unavailable/);
  assert.match(text.stdout, /partial: some things could not be seen/);
});

test('sockdoc port over a captured tree: the verdict, and host-wide findings that refuse every port', () => {
  const root = join('test', 'fixtures', 'hosts', 'conntrack-full');
  const r = sockdoc(['port', '8080', '--root', root, '--json']);
  const doc = JSON.parse(r.stdout) as { verdict: string; exitCode: number; listeners: Array<{ ssLocal: string; owners: Array<{ softLimit: number | null }> }>; findings: Array<{ id: string }> };
  assert.equal(doc.verdict, 'loopback-only');
  assert.deepEqual(doc.listeners.map((l) => l.ssLocal), ['127.0.0.1:8080']);
  assert.equal(doc.listeners[0].owners[0].softLimit, 20000);
  assert.deepEqual(doc.findings.map((f) => f.id), ['conntrack-table-full'], 'a full conntrack table drops new flows to every port');
  assert.equal(r.code, 2);
  assert.equal(doc.exitCode, 2);
  const text = sockdoc(['port', '9', '--root', root, '--no-color']);
  assert.equal(text.code, 2);
  assert.match(text.stdout, /^CRITICAL {2}Nothing listens on port 9 in the 1 network namespace sockdoc read/);
});
