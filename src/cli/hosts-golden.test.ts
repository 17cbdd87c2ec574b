/**
 * Whole diagnoses over captured host trees, through the real binary with --root: the same code
 * that reads a live host. Expected outputs sit beside each tree (UPDATE_GOLDEN=1 rewrites them).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
    must: ['accept-queue-full', 'fd-limit-exhausted', 'backlog-clamped'],
    // One read of a capture: the since-boot drops are in the counters line and the chain, not a finding.
    mustNot: ['close-wait-unaccepted', 'listen-overflows'],
  },
  { tree: ['hosts', 'seed-close-wait'], exit: 2, must: ['close-wait-unaccepted', 'fd-limit-exhausted'] },
  { tree: ['net', 'busy'], exit: 2, must: ['accept-queue-full', 'backlog-clamped'] },
  { tree: ['net', 'clients-gone'], exit: 2, must: ['close-wait-unaccepted'] },
  // The lab scenarios, each captured at its telling step (scripts/fixtures/make-lab-hosts.sh):
  // the diagnosis golden without the lab's timings and changing pids.
  { tree: ['hosts', 'lab-accept-queue'], exit: 2, must: ['accept-queue-full', 'close-wait-unaccepted'] },
  { tree: ['hosts', 'lab-slow-accept'], exit: 2, must: ['accept-queue-full', 'close-wait-unaccepted'], mustNot: ['fd-limit-exhausted'] },
  // A capture that recorded each listener's drops and its queued clients' waits: --root replays them.
  { tree: ['hosts', 'lab-accept-wait'], exit: 2, must: ['accept-wait-long', 'accept-queue-full'], mustNot: ['fd-limit-exhausted', 'accept-queue-filling'] },
  { tree: ['hosts', 'lab-emfile'], exit: 2, must: ['fd-limit-exhausted', 'accept-queue-full'] },
  { tree: ['hosts', 'lab-close-wait-leak'], exit: 1, must: ['close-wait-leak'], mustNot: ['close-wait-unaccepted'] },
  { tree: ['hosts', 'lab-fd-leak'], exit: 2, must: ['fd-limit-exhausted'] },
  // somaxconn 128 in the lab namespace: backlog-clamped as info, nothing else.
  { tree: ['hosts', 'lab-healthy'], exit: 0, must: ['backlog-clamped'], mustNot: ['accept-queue-full', 'close-wait-leak', 'fd-limit-near', 'fd-limit-exhausted'] },
  // The newer causes (scripts/fixtures/make-pressure-hosts.sh: real captures, numbers edited).
  { tree: ['hosts', 'conntrack-full'], exit: 2, must: ['conntrack-table-full'], mustNot: ['conntrack-table-near'] },
  { tree: ['hosts', 'tcp-memory-pressure'], exit: 2, must: ['tcp-memory-pressure', 'tcp-orphans'] },
  // One reading of a capture: drops since boot only, so info (exit 0) — but said.
  { tree: ['hosts', 'softnet-drops'], exit: 0, must: ['netdev-backlog-drops'] },
  // nf_conntrack loaded with 5120 entries, nothing dropped: nothing to say.
  { tree: ['hosts', 'healthy-conntrack'], exit: 0, must: [], mustNot: ['conntrack-table-full', 'conntrack-table-near'] },
  // Unix-domain listeners (scripts/fixtures/make-unix-hosts.sh): a php-fpm-like socket whose
  // listen(511) was clamped to somaxconn 64, 65 queued; the same host read from /proc/net/unix only
  // (queue counted from the pending connections, no backlog: judged against somaxconn).
  { tree: ['hosts', 'unix-queue-full'], exit: 2, must: ['accept-queue-full', 'backlog-clamped'], mustNot: ['listen-overflows'] },
  { tree: ['hosts', 'unix-proc-only'], exit: 2, must: ['accept-queue-full'], mustNot: ['backlog-clamped'] },
  // What the fds are, and inotify (scripts/fixtures/make-fd-inotify-hosts.sh): an epoll leak at its
  // limit next to a server full of its own connections; a uid at its inotify instance limit inside
  // a user namespace; a host uid at max_user_instances (the limit edited down in the tree).
  { tree: ['hosts', 'eventpoll-leak'], exit: 2, must: ['fd-limit-exhausted'] },
  { tree: ['hosts', 'inotify-userns'], exit: 2, must: ['inotify-instances-exhausted'], mustNot: ['fd-limit-exhausted', 'fd-limit-near'] },
  { tree: ['hosts', 'inotify-host-limit'], exit: 2, must: ['inotify-instances-exhausted'], mustNot: ['inotify-watches-near', 'fd-limit-near'] },
  // Container hosts (scripts/fixtures/make-netns-hosts.sh): the full queue is in a container or pod.
  { tree: ['netns', 'docker-host'], exit: 2, must: ['accept-queue-full', 'backlog-clamped'] },
  { tree: ['netns', 'k8s-node'], exit: 2, must: ['accept-queue-full', 'backlog-clamped'] },
  // A process's trouble in a container or pod (scripts/fixtures/make-netns-leak-hosts.sh): out of
  // fds and leaking CLOSE_WAIT over the capture's 1 s window, beside a neighbour running the same
  // program on the same port. Titles name the container / pod (checked below).
  { tree: ['netns', 'docker-leaks'], exit: 2, must: ['fd-limit-exhausted', 'close-wait-leak'], mustNot: ['close-wait-churn'] },
  { tree: ['netns', 'k8s-leaks'], exit: 2, must: ['fd-limit-exhausted', 'close-wait-leak'], mustNot: ['close-wait-churn'] },
];

for (const h of HOSTS) {
  const root = join('test', 'fixtures', ...h.tree);
  const name = h.tree.join('/');
  test(`diagnose --root ${name}: default, --verbose, --summary and JSON match the golden files`, () => {
    // Run with a relative root: the root path printed in the header is the same in every checkout.
    for (const [flag, file] of [[null, 'expected.txt'], ['--verbose', 'expected-verbose.txt'], ['--summary', 'expected-summary.txt']] as const) {
      const text = sockdoc(['--root', root, '--no-color', ...(flag ? [flag] : [])]);
      assert.equal(text.code, h.exit, `${flag ?? 'default'}: ${text.stderr}`);
      assertGoldenFile(join(repoRoot, root, file), text.stdout);
    }
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

test('the seed at 100 columns: at most 40 lines, the cause chain in the first 5', () => {
  for (const tree of ['seed-close-wait', 'seed-queue-full']) {
    const r = sockdoc(['--root', join('test', 'fixtures', 'hosts', tree), '--no-color']);
    const lines = r.stdout.trimEnd().split('\n');
    assert.ok(lines.length <= 40, `${tree}: ${lines.length} lines`);
    assert.ok(lines.every((l) => l.length <= 100 || /^ {14}\S/.test(l)), 'only verbatim fix lines may pass 100 columns');
    const chain = lines.slice(0, 5).join(' ').replace(/\s+/g, ' ');
    assert.match(chain, /CRITICAL python3 \(pid 30705\) is out of fds \(64\/64\) → \[::\]:8889 stopped accepting → 129 waiting \(limit 128\), .*284 handshakes dropped since boot/);
  }
});

test('--port and --pid over the seed keep the cause: the owner out of fds', () => {
  const root = join('test', 'fixtures', 'hosts', 'seed-close-wait');
  for (const filter of [['--port', '8889'], ['--pid', '30705']]) {
    const r = sockdoc(['--root', root, '--json', ...filter]);
    assert.equal(r.code, 2, r.stderr);
    const ids = (JSON.parse(r.stdout) as { findings: Array<{ id: string }> }).findings.map((f) => f.id);
    for (const id of ['fd-limit-exhausted', 'accept-queue-full', 'close-wait-unaccepted']) assert.ok(ids.includes(id), `${filter.join(' ')}: ${id} missing from ${ids}`);
    const text = sockdoc(['--root', root, '--no-color', ...filter]).stdout;
    assert.match(text.split('\n').slice(0, 5).join('\n'), /python3 \(pid 30705\) is out of fds/);
  }
  // Another port keeps nothing of 8889's, nor its owner's fd finding.
  const other = JSON.parse(sockdoc(['--root', root, '--json', '--port', '22']).stdout) as { findings: Array<{ id: string }> };
  assert.deepEqual(other.findings.map((f) => f.id), []);
});

test('a repeated flag is refused with a message, never silently the last one', () => {
  const r = sockdoc(['--root', join('test', 'fixtures', 'hosts', 'seed-close-wait'), '--port', '8889', '--port', '22']);
  assert.equal(r.code, 3);
  assert.equal(r.stderr.split('\n')[0], "sockdoc: --port was given twice ('8889' and '22'): give it once");
});

test('options before the command word: sockdoc --root DIR limits PID', () => {
  const root = join('test', 'fixtures', 'limits', 'systemd-builtin-seed');
  const before = sockdoc(['--root', root, 'limits', '37482', '--json']);
  const after = sockdoc(['limits', '37482', '--root', root, '--json']);
  assert.equal(before.code, 0, before.stderr);
  assert.equal(before.stdout, after.stdout);
  assert.equal((JSON.parse(before.stdout) as Array<{ pid: number }>)[0].pid, 37482);
});

test('--summary: one line in the monitoring-plugin format, the same exit code', () => {
  const r = sockdoc(['--root', join('test', 'fixtures', 'hosts', 'seed-close-wait'), '--summary']);
  assert.equal(r.code, 2);
  assert.equal(r.stdout.split('\n').length, 2, 'one line');
  assert.match(r.stdout, /^SOCKDOC CRITICAL - python3 \(pid 30705\) is out of file descriptors: 64 open, soft limit 64 \(\+2 critical, 1 warning\) \| queue=129;102;128;0;129 fds=64;52;61;0;64 /);
  const bad = sockdoc(['--root', '/nonexistent/sockdoc-root', '--summary']);
  assert.equal(bad.code, 3);
  assert.equal(bad.stdout, 'SOCKDOC UNKNOWN - --root /nonexistent/sockdoc-root: no such directory\n');
});

test('a capture shows its own time in the header', () => {
  const r = sockdoc(['--root', join('test', 'fixtures', 'hosts', 'lab-emfile'), '--no-color']);
  assert.match(r.stdout.split('\n')[0], / · captured \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC · /);
  assert.doesNotMatch(r.stdout, /2026-11-24 22:00:00/, 'never the time it is read (SOCKDOC_NOW)');
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

test('the fd and CLOSE_WAIT findings of a process in a container or pod name it in the title; the host-wide tunables are not noted per namespace', () => {
  for (const [tree, where] of [
    ['docker-leaks', / in docker container web \([0-9a-f]{12}\) /],
    ['k8s-leaks', / in pod shop\/web-6b8d0f2a4-k3m5p \(container web\) /],
  ] as const) {
    const r = sockdoc(['--root', join('test', 'fixtures', 'netns', tree), '--json']);
    const doc = JSON.parse(r.stdout) as { findings: Array<{ id: string; title: string; fix: string[] }>; notes: string[] };
    for (const id of ['fd-limit-exhausted', 'close-wait-leak']) {
      const f = doc.findings.find((x) => x.id === id);
      assert.match(f?.title ?? '', where, `${tree} ${id}: ${f?.title}`);
    }
    // ss answers for its own namespace: the CLOSE_WAIT check runs inside the container.
    assert.match(doc.findings.find((x) => x.id === 'close-wait-leak')!.fix[0], /^nsenter -n -t \d+ ss -tnp state close-wait \| grep -c /);
    assert.deepEqual(doc.notes.filter((n) => /tcp_mem|tcp_max_orphans/.test(n)), [], `${tree}: host-wide values read once`);
  }
});

test('a --pid of no process is one line on stderr and exit 3, for every command that takes it', () => {
  const seed = join('test', 'fixtures', 'hosts', 'seed-queue-full');
  // 30706 is not in the captured tree (30705 is); capture reads the live host, where no pid is 4194304 (above pid_max's ceiling).
  for (const [args, pid] of [
    [['--root', seed, '--pid', '30706'], 30706],
    [['--root', seed, '--pid', '30706', '--summary'], 30706],
    [['sockets', '--root', seed, '--pid', '30706'], 30706],
    [['sockets', '--root', seed, '--pid', '30706', '--json'], 30706],
    [['sockets', '--unix', '--root', seed, '--pid', '30706', '--json'], 30706],
    [['capture', join('/nonexistent', `sockdoc-${process.pid}`), '--pid', '4194304'], 4194304],
  ] as const) {
    const r = sockdoc([...args]);
    assert.equal(r.code, 3, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    const why = `--pid ${pid}: no such process (or not visible to this user)`;
    if (args.includes('--summary')) assert.equal(r.stdout, `SOCKDOC UNKNOWN - ${why}\n`);
    else {
      assert.equal(r.stdout, '', `${args.join(' ')} printed ${r.stdout}`);
      assert.equal(r.stderr.split('\n')[0], `sockdoc: ${why}`);
    }
  }
  // The process that is there still answers.
  assert.equal(sockdoc(['sockets', '--root', seed, '--pid', '30705', '--json']).code, 0);
});

test('a replayed capture knows how many each listener dropped in its window when it recorded their drops at the start; else it says unknown', () => {
  // lab-accept-wait: 127.0.0.1:8890 (inode 2380539) had dropped 210 when captured. A window file
  // recording 150 at the start: 60 dropped in the window, as a live run would say.
  const tmp = mkdtempSync(join(tmpdir(), 'sockdoc-replay-'));
  try {
    const tree = join(tmp, 'host');
    cpSync(fixture('hosts', 'lab-accept-wait'), tree, { recursive: true, verbatimSymlinks: true });
    // The namespace's counters at the start: as at the end, less the 60 the listener dropped.
    const end = (JSON.parse(readFileSync(fixture('hosts', 'lab-accept-wait', 'expected.json'), 'utf8')) as { counters: { values: Record<string, number> } }).counters.values;
    const counters = { ...end, 'TcpExt.ListenOverflows': end['TcpExt.ListenOverflows'] - 60, 'TcpExt.ListenDrops': end['TcpExt.ListenDrops'] - 60 };
    const window = (listenerDrops: unknown) =>
      writeFileSync(join(tree, 'sockdoc-window.json'), JSON.stringify({ format: 1, intervalMs: 2000, netns: [{ inode: 0, counters, closeWait: null, ...(listenerDrops === undefined ? {} : { listenerDrops }) }] }));
    window([[2380539, 150], [2380424, 0]]);
    const j = JSON.parse(sockdoc(['--root', tree, '--json']).stdout) as { listeners: Array<{ port: number; dropsDelta: number | null }>; findings: Array<{ id: string; evidence: Record<string, unknown> }>; notes: string[] };
    assert.deepEqual(j.listeners.map((l) => [l.port, l.dropsDelta]).sort(), [[8889, 0], [8890, 60]]);
    assert.equal(j.findings.find((f) => f.id === 'accept-queue-full')!.evidence.dropsDelta, 60);
    assert.match(sockdoc(["--root", tree]).stdout, /127\.0\.0\.1:8890 is not accepting: 5 waiting \(limit 4\), the oldest 5\.7 s → 60 handshakes\s+dropped in 2 s/);
    // A capture made before the drops were recorded: unknown, and said.
    window(undefined);
    const old = JSON.parse(sockdoc(['--root', tree, '--json']).stdout) as typeof j;
    assert.deepEqual(old.listeners.map((l) => l.dropsDelta), [null, null]);
    assert.ok(old.notes.some((n) => /holds no listener's drops at its start .* unknown/.test(n)), old.notes.join('\n'));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
