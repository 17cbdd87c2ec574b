import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderDiagnosis, summaryLine } from './terminal.js';
import { painter, visible } from './format.js';
import { healthyDiagnosis, seedDiagnosis } from './test-data.js';
import { assertGolden } from './golden.js';
import type { Diagnosis } from './report.js';

const ESC = '\x1b';
const plain = (d: Diagnosis, columns = 100, verbose = true) => renderDiagnosis(d, { color: false, columns, verbose });
const short = (d: Diagnosis, columns = 100) => plain(d, columns, false);

test('no escape byte at all when colour is off', () => {
  for (const d of [seedDiagnosis(), healthyDiagnosis()]) assert.ok(!plain(d).includes(ESC));
});

test('with colour: critical red, warning yellow, info cyan; same text once the codes are stripped', () => {
  const d = seedDiagnosis();
  const colored = renderDiagnosis(d, { color: true, columns: 100, verbose: true });
  assert.ok(colored.includes('\x1b[1;31mCRITICAL'));
  assert.ok(colored.includes('\x1b[33mWARNING'));
  assert.ok(colored.includes('\x1b[36mINFO'));
  assert.equal(visible(colored), plain(d));
});

test('findings are printed most severe first, even when handed over unsorted', () => {
  const d = seedDiagnosis();
  d.findings.reverse(); // info, warning, critical(fd), critical(queue)
  const out = plain(d);
  const pos = (s: string) => out.indexOf(s);
  assert.ok(pos('[1] CRITICAL') < pos('[3] WARNING') && pos('[3] WARNING') < pos('[4] INFO'));
  // A stable order within a severity: fd-limit-exhausted came before accept-queue-full once reversed.
  assert.ok(pos('fd-limit-exhausted · 37482/server') < pos('accept-queue-full · 37482/server'));
});

test('every fix line appears verbatim on a line of its own, unwrapped, even past the width', () => {
  const d = seedDiagnosis();
  const lines = plain(d, 60).split('\n').map((l) => l.trim());
  // A command an earlier finding already gave is not repeated, whatever its comment.
  const command = (l: string) => l.replace(/\s+#.*$/, '');
  for (const f of d.findings) for (const fix of f.fix) assert.ok(lines.includes(fix) || lines.some((l) => command(l) === command(fix) && !fix.startsWith('#')), `missing fix line: ${fix}`);
});

test('a multi-line fix entry is printed line by line, each indented', () => {
  const d = seedDiagnosis();
  d.findings[0].fix = ['[Service]\nLimitNOFILE=65536'];
  const lines = plain(d).split('\n');
  const i = lines.findIndex((l) => l.trim() === '[Service]');
  assert.ok(i > 0);
  assert.equal(lines[i + 1].trim(), 'LimitNOFILE=65536');
  assert.equal(lines[i].indexOf('['), lines[i + 1].indexOf('L'));
});

test('titles, subjects and why are wrapped to the terminal width', () => {
  const d = seedDiagnosis();
  for (const columns of [60, 80]) {
    const out = plain(d, columns);
    const findings = out.slice(out.indexOf('[1]'), out.indexOf('\nListeners')).split('\n');
    // Everything but fix lines (verbatim) and evidence (key=value items are never split) must fit.
    const fixes = new Set(d.findings.flatMap((f) => f.fix));
    const over = findings.filter((l) => l.length > columns && !fixes.has(l.trim()) && !/^ +(evidence +)?\w+=\S*( \S+)*"?$/.test(l));
    assert.deepEqual(over, [], `lines over ${columns} columns`);
    assert.ok(findings.filter((l) => /^ {4}why /.test(l)).length === d.findings.length);
  }
});

test('each finding shows its tag, id, subject, title, evidence, why and related links (--verbose)', () => {
  const out = plain(seedDiagnosis());
  // The cause first within a severity: the process out of fds is [1], its full queue [2].
  assert.match(out, /^\[2\] CRITICAL {2}Accept queue of \[::\]:8889 is full: 129 waiting, limit 128$/m);
  assert.match(out, /^ {14}accept-queue-full · 37482\/server · \[::\]:8889$/m);
  assert.match(out, /^ {4}evidence {2}acceptQueue=129 {2}backlog=128 {2}somaxconn=128/m);
  assert.match(out, /limitSetBy="systemd supervisord.service LimitNOFILE"/);
  assert.match(out, /^ {4}why {7}server \(pid 37482\) is not calling accept\(\)/m);
  assert.match(out, /fd-limit-exhausted@37482 \(see \[1\]\),/);
  // A related finding not in the report is named without a cross-reference.
  assert.match(out, /listen-overflows$/m);
  assert.doesNotMatch(out, /listen-overflows \(see/);
});

test('the short form: the answer first, then per finding title, id + evidence on one line, two lines of why, the fix', () => {
  const out = short(seedDiagnosis());
  const lines = out.split('\n');
  // The wait is stated: how many wait, against which limit.
  assert.equal(lines[2], 'CRITICAL  server (pid 37482) is out of fds (1024/1024) → [::]:8889 stopped accepting → 129 waiting');
  assert.equal(lines[3], '          (limit 128), 126 clients gave up waiting');
  assert.match(out, /^ {14}accept-queue-full · acceptQueue=129 {2}backlog=128 {2}somaxconn=128 {2}listenOverflows=213 …$/m);
  assert.doesNotMatch(out, /related|Listeners|File descriptors/, 'links and tables are --verbose');
  // backlog-clamped gives the same somaxconn fix as [2]: said once, pointed at.
  assert.equal(out.split('sudo sysctl -w net.core.somaxconn=4096').length, 2);
  assert.match(out, /more: --verbose, sockdoc explain ID\n$/);
});

test('shared sentences are said once, also in --verbose', () => {
  const d = seedDiagnosis();
  const shared = 'With net.ipv4.tcp_abort_on_overflow = 0 (the default), the kernel silently drops the final ACK.';
  d.findings[0].explain += ' ' + shared;
  d.findings[1].explain += ' ' + shared;
  for (const out of [plain(d), short(d)]) assert.ok(out.split('tcp_abort_on_overflow = 0').length <= 2, out);
  assert.match(plain(d), /\(More in \[1\]\.\)/);
});

test('listener and fd tables: busiest first, owners, queue/backlog, unaccepted, where the limit came from', () => {
  const out = plain(seedDiagnosis());
  const listeners = out.slice(out.indexOf('Listeners'), out.indexOf('File descriptors')).split('\n');
  assert.match(listeners[2], /^ {2}\[::\]:8889 +37482\/server +129\/128 +9 +3\/126$/);
  assert.match(listeners[3], /^ {2}0\.0\.0\.0:22 +812\/sshd +0\/128 +0 +0\/0$/);
  const fds = out.slice(out.indexOf('File descriptors'), out.indexOf('Counters')).trim().split('\n');
  assert.match(fds[1], /pid +name +user +open +soft +hard +used +limit set by/);
  assert.match(fds[2], /^ {2}37482 +server +jet +1024 +1024 +4096 +100% +systemd supervisord.service LimitNOFILE=1024:4096$/);
  // Under half the soft limit is not worth a row: systemd (9%) and sshd are left out; user null shows the uid.
  assert.equal(fds.length, 5);
  assert.match(fds[4], /^ {2}40100 +node +1001 +700/);
});

test('listener table: drops (now and since opened) and waits get columns when known, the slowest first', () => {
  const d = seedDiagnosis();
  d.snapshot.listeners = d.snapshot.listeners.map((l) =>
    l.port === 8889
      ? { ...l, drops: 140, dropsDelta: 12, acceptWait: { measured: 3, unmeasured: 0, maxMs: 4100, medianMs: 2000, waitsMs: [4100, 2000, 900] } }
      : { ...l, drops: l.address === '0.0.0.0' && l.port === 22 ? 7 : 0, dropsDelta: 0, acceptWait: { measured: 0, unmeasured: 0, maxMs: 0, medianMs: 0, waitsMs: [] } },
  );
  const out = plain(d);
  const listeners = out.slice(out.indexOf('Listeners'), out.indexOf('File descriptors')).split('\n');
  assert.match(listeners[1], /unaccepted est\/cw +drops +wait max\/p50$/);
  assert.match(listeners[2], /^ {2}\[::\]:8889 .* 3\/126 +\+12 \(140\) +4\.1 s\/2 s$/);
  assert.match(listeners[3], / 0\/0 +7 +0$/);
  // From /proc: no column of dashes.
  assert.doesNotMatch(plain(seedDiagnosis()), /wait max|drops +wait|  drops/);
});

test('header and summary line', () => {
  const d = seedDiagnosis();
  const lines = plain(d).trimEnd().split('\n');
  assert.equal(lines[0], 'sockdoc  web-1 · Linux 6.18.0-seed · 2024-11-24 21:53:07 UTC · 1.0 s window');
  assert.equal(lines[lines.length - 1], '2 critical, 1 warning, 1 info — exit 2');
  assert.match(plain(d), /^Counters {2}ListenOverflows \+12 {2}ListenDrops \+12 {2}in 1\.0 s$/m);
  assert.match(plain(d), /^ {2}- Backlog limits were read from `ss`/m);
});

test('summary line counts and exit codes', () => {
  const p = painter(false);
  const d = healthyDiagnosis();
  assert.equal(summaryLine(d, p), 'healthy — exit 0');
  d.findings = [{ ...seedDiagnosis().findings[2] }, { ...seedDiagnosis().findings[2] }];
  d.exitCode = 1;
  assert.equal(summaryLine(d, p), '2 warnings — exit 1');
  d.findings = [seedDiagnosis().findings[3]];
  d.exitCode = 0;
  assert.equal(summaryLine(d, p), 'healthy (1 info) — exit 0');
  d.snapshot.partial = true;
  assert.equal(summaryLine(d, p), 'healthy (1 info) — exit 0 (partial: some things could not be seen)');
});

test('a healthy host gets a short, reassuring report', () => {
  const out = plain(healthyDiagnosis());
  const lines = out.trimEnd().split('\n');
  assert.ok(lines.length <= 10, out);
  assert.equal(lines[2], '✓ No problems found.');
  assert.match(out, /4 listeners, busiest queue 3\/511 on 0\.0\.0\.0:80 \(812\/nginx\)/);
  assert.match(out, /highest fd use 12% \(120\/1024, 1\/systemd\)/);
  assert.match(out, /no drops, overflows or aborts in the 1\.0 s window/);
  assert.doesNotMatch(out, /Listeners|File descriptors|CRITICAL|WARNING/);
});

test('a partial snapshot says so in the header, the notes and the summary', () => {
  const d = healthyDiagnosis();
  d.snapshot.partial = true;
  d.snapshot.notes = ['proc/*/fd: denied for 212 processes (run as root to see their sockets).'];
  const out = plain(d);
  assert.match(out.split('\n')[0], /· PARTIAL: see notes$/);
  assert.match(out, /^Notes {2}what sockdoc could not see or had to approximate\n {2}- proc\/\*\/fd: denied for 212 processes/m);
  assert.match(out, /\(partial: some things could not be seen\)\n$/);
});

test('one read: counters since boot, header says no rates', () => {
  const d = seedDiagnosis();
  d.snapshot.counters = { ...d.snapshot.counters, deltas: null, intervalMs: 0 };
  const out = plain(d);
  assert.match(out.split('\n')[0], /· one read \(no rates\)$/);
  assert.match(out, /^Counters {2}ListenOverflows 213 {2}ListenDrops 213 {2}since boot \(one read: no rate\)$/m);
});

test('a filter shows only the matching listeners and processes, and says it is filtered', () => {
  const d = seedDiagnosis();
  d.filter = { port: 22 };
  d.findings = [];
  d.exitCode = 0;
  const out = plain(d);
  assert.match(out.split('\n')[0], /· filter: port 22$/);
  assert.match(out, /✓ No problems found for port 22\./);
  assert.match(out, /Listeners {2}matching the filter/);
  assert.match(out, /0\.0\.0\.0:22/);
  assert.doesNotMatch(out, /8889|9001|37482/);
  // Filtered: the sshd row is shown though it is far from its limit.
  assert.match(out, /^ {2}812 +sshd +root +7 +1024/m);
});

test('golden: the seed incident at 100 columns, and a healthy host', () => {
  assertGolden('seed.txt', short(seedDiagnosis()));
  assertGolden('seed-verbose.txt', plain(seedDiagnosis()));
  assertGolden('seed-80-color.txt', renderDiagnosis(seedDiagnosis(), { color: true, columns: 80 }));
  assertGolden('healthy.txt', plain(healthyDiagnosis()));
});

test('a repeated finding id shares the first explanation but keeps its own fix lines', () => {
  const d = seedDiagnosis();
  const second = { ...d.findings[1], subject: { pid: 40100, name: 'node' }, title: 'node (pid 40100) has 1024 of 1024 file descriptors open', fix: ['prlimit --pid 40100 --nofile=65536:65536'] };
  d.findings.splice(2, 0, second);
  const out = plain(d);
  const block = out.slice(out.indexOf('[2] CRITICAL'), out.indexOf('[3] CRITICAL'));
  assert.match(block, /^ {4}why {7}as \[1\]$/m);
  assert.match(block, /^ {14}prlimit --pid 40100 --nofile=65536:65536$/m);
  assert.equal(out.split('accept() fails with EMFILE').length, 2, 'the explanation is printed once');
});

test('unknown evidence values are left out of the terminal (the JSON keeps them)', () => {
  const d = seedDiagnosis();
  d.findings[0].evidence = { acceptQueue: 129, backlog: null, flag: true, note: 'two words' };
  assert.match(plain(d), /^ {4}evidence {2}acceptQueue=129 {2}flag=true {2}note="two words"$/m);
});

test('odd terminal widths fall back to sane ones', () => {
  const d = seedDiagnosis();
  assert.equal(plain(d, 0), plain(d, 100));
  assert.equal(plain(d, Number.NaN), plain(d, 100));
  assert.equal(plain(d, 500), plain(d, 100));
  assert.equal(plain(d, 10), plain(d, 40));
});

test('counters that could not be read are "unavailable", never "no drops"', () => {
  const d = healthyDiagnosis();
  d.snapshot.counters = { values: {}, deltas: null, intervalMs: 0 };
  const out = renderDiagnosis(d, { color: false, columns: 100 });
  assert.match(out, /Counters {2}unavailable \(see notes\)/);
  assert.doesNotMatch(out, /no drops/);
});

test('a capture is shown at its own time, or says its time is unknown; never the time it is read', () => {
  const d = seedDiagnosis();
  d.snapshot.host = { ...d.snapshot.host, root: 'captures/web-1', capturedAt: '2026-11-30T03:04:05.000Z' };
  assert.match(short(d).split('\n')[0], /· captured 2026-11-30 03:04:05 UTC ·/);
  assert.doesNotMatch(short(d), /2024-11-24 21:53:07/);
  d.snapshot.host.capturedAt = null;
  assert.match(short(d).split('\n')[0], /· capture time unknown ·/);
});

test('the same SYN problem is not told twice: a consequence of a shown finding is one line', () => {
  const d = seedDiagnosis();
  const queue = d.findings.find((f) => f.id === 'accept-queue-full')!;
  d.findings.push({
    id: 'syn-queue-pressure',
    severity: 'warning',
    subject: { ...queue.subject },
    title: '9 pending handshakes on [::]:8889, limit 128',
    evidence: { synRecv: 9 },
    explain: 'Its accept queue is full, so many of these are not slow clients.',
    fix: ["ss -Htn state syn-recv '( sport = :8889 )'"],
    related: ['accept-queue-full@[::]:8889'],
  });
  const out = short(d);
  assert.match(out, /^\[\d\] WARNING {3}9 pending handshakes on \[::\]:8889, limit 128 — follows from \[2\] \(syn-queue-pressure\)$/m);
  assert.doesNotMatch(out, /Its accept queue is full, so many/);
  // --verbose tells it whole.
  assert.match(plain(d), /Its accept queue is full, so many/);
});

test('a container\'s counters count since the namespace was created: said so, also beside a window', () => {
  const d = seedDiagnosis();
  const host = d.snapshot.namespaces[0];
  const web = { ...host, inode: 4026532180, kind: 'docker' as const, name: 'web', container: { runtime: 'docker' as const, id: 'a'.repeat(64), name: 'web' } };
  // A window: the container dropped 3 handshakes in it, 138 since it was created.
  web.counters = { values: { 'TcpExt.ListenOverflows': 138 }, deltas: { 'TcpExt.ListenOverflows': 3 }, intervalMs: 1000 };
  d.snapshot.namespaces = [host, web];
  let out = plain(d);
  assert.match(out, /^ {10}docker container web \(aaaaaaaaaaaa\): ListenOverflows \+3 {2}in 1\.0 s$/m);
  assert.match(out, /^ {10}docker container web \(aaaaaaaaaaaa\): ListenOverflows 138 {2}since the namespace was created$/m);
  // Nothing in the window: its drops since creation are still shown.
  web.counters = { values: { 'TcpExt.ListenOverflows': 138 }, deltas: {}, intervalMs: 1000 };
  out = plain(d);
  assert.doesNotMatch(out, /web \(a+\): ListenOverflows \+/);
  assert.match(out, /web \(aaaaaaaaaaaa\): ListenOverflows 138 {2}since the namespace was created$/m);
  // One read (a replay): never "since boot" for a container.
  web.counters = { values: { 'TcpExt.ListenOverflows': 138 }, deltas: null, intervalMs: 0 };
  out = plain(d);
  assert.match(out, /web \(aaaaaaaaaaaa\): ListenOverflows 138\s+since the namespace was created \(one read: no rate\)$/m);
});
