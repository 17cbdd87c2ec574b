/**
 * --netns on real `ip netns` namespaces of our own, across diagnose, sockets, port and watch: a name
 * that names two namespaces is refused (not merged), an all-digit `ip netns` name is found by name,
 * a namespace nobody cannot read is not "no problems found", and one that goes away during a piped
 * watch is said once on stderr while the watch goes on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { cliPath } from '../testing/paths.js';
import { scene } from '../testing/netns-peers.js';
import { createNetns, destroyNetns } from '../../scripts/bench/netns.js';
import { uniqueName } from '../testing/unique.js';

const isRoot = process.getuid?.() === 0;

function sockdoc(args: string[], asNobody = false) {
  const [cmd, argv] = asNobody
    ? ['setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, cliPath, ...args]]
    : [process.execPath, [cliPath, ...args]];
  const r = spawnSync(cmd as string, argv as string[], { encoding: 'utf8', timeout: 60_000, cwd: '/', env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(r.error, undefined);
  return r;
}

test('live: --netns ambiguous, all-digit, unreadable as nobody; on diagnose, sockets, port', { skip: !isRoot && 'needs root (ip netns)', timeout: 120_000 }, async () => {
  const s = scene();
  const a = uniqueName('sockdoc-aw-a');
  // ip netns names may contain spaces: this one is spelled as sockdoc labels the first ("netns NAME").
  const twin = `netns ${a}`;
  // Digits only, and beyond pid_max (4194304) and shorter than an inode: a name, nothing else.
  const digits = `90${process.pid}`;
  try {
    s.netns(a);
    s.netns(twin);
    s.netns(digits);
    const stuck = await s.peer(a, ['stuck', '7321']);

    const amb = sockdoc(['--netns', twin, '--interval', '0']);
    assert.equal(amb.status, 3, amb.stdout);
    assert.match(amb.stderr, new RegExp(`^sockdoc: --netns "netns ${a}" is ambiguous: it names (netns (netns )?${a} \\[\\d+\\](, )?){2}; give the inode`));
    assert.ok(amb.stderr.includes(`netns ${a} [`) && amb.stderr.includes(`netns netns ${a} [`), amb.stderr);

    const byDigits = sockdoc(['sockets', '--netns', digits]);
    assert.equal(byDigits.status, 0, byDigits.stderr);
    assert.doesNotMatch(byDigits.stderr, /no such network namespace/);

    const port = sockdoc(['port', '7321', '--netns', a, '--interval', '0', '--no-color']);
    assert.equal(port.status, 1, port.stderr);
    assert.match(port.stdout.split('\n')[0], /^WARNING {3}Port 7321 listens on 127\.0\.0\.1:7321 only/);
    const elsewhere = sockdoc(['port', '7321', '--netns', digits, '--interval', '0', '--no-color']);
    assert.equal(elsewhere.status, 2);
    assert.match(elsewhere.stdout, new RegExp(`^CRITICAL {2}Nothing listens on port 7321 in netns ${digits}: connections to it are refused`));
    assert.ok(elsewhere.stdout.includes(`ip netns exec ${digits} ss -ltnp 'sport = :7321'   # confirm: nothing listening`), elsewhere.stdout);
    // The fix line of the loopback-only answer runs in the namespace too: pasted, it shows the listener.
    const check = port.stdout.split('\n').find((l) => l.includes("ss -ltnp 'sport = :7321'"))!.trim().split('   #')[0];
    assert.equal(check, `ip netns exec ${a} ss -ltnp 'sport = :7321'`);
    assert.match(spawnSync('bash', ['-c', check], { encoding: 'utf8', timeout: 10_000 }).stdout, /LISTEN .*127\.0\.0\.1:7321/);

    const nobody = sockdoc(['--netns', a, '--interval', '0', '--summary'], true);
    assert.equal(nobody.status, 3, nobody.stdout);
    assert.match(nobody.stdout, new RegExp(`^SOCKDOC UNKNOWN - netns ${a}: its sockets could not be read \\(not root`));
    // A pid whose namespace nobody cannot read is not taken as the host's (the snapshot files it there).
    const byPid = sockdoc(['sockets', '--netns', String(stuck)], true);
    assert.equal(byPid.status, 3, byPid.stdout);
    assert.match(byPid.stderr, new RegExp(`^sockdoc: --netns ${stuck}: the network namespace of process ${stuck} could not be read \\(not root\\)`));
    assert.match(sockdoc(['sockets', '--netns', String(stuck)]).stdout, /127\.0\.0\.1:7321/, 'as root the pid selects its namespace');
    const nobodySockets = sockdoc(['sockets', '--netns', a], true);
    assert.equal(nobodySockets.status, 3);
    assert.match(nobodySockets.stderr, /its sockets could not be read \(not root/);
  } finally {
    assert.deepEqual(s.close(), []);
  }
});

test('live: a piped watch --netns whose namespace goes away says it once on stderr and goes on to --count', { skip: !isRoot && 'needs root (ip netns)', timeout: 120_000 }, async () => {
  const ns = uniqueName('sockdoc-aw-gone');
  destroyNetns(ns);
  createNetns(ns);
  const child = spawn(process.execPath, [cliPath, 'watch', '--netns', ns, '--every', '500ms', '--count', '5'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += String(d)));
  const lines: string[] = [];
  try {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (l) => lines.push(l));
    await once(rl, 'line');
    destroyNetns(ns);
    // Meanwhile other namespaces come and go (as on any busy host, where another test's namespaces
    // do): the "seen: ..." list of the message changes from one refresh to the next, and the
    // failure is still the same one, said once.
    const exited = once(child, 'exit');
    for (let i = 0; i < 6 && child.exitCode === null; i++) {
      const other = uniqueName('sockdoc-aw-other');
      createNetns(other);
      await new Promise((r) => setTimeout(r, 300));
      destroyNetns(other);
      await new Promise((r) => setTimeout(r, 300));
    }
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0, stderr);
    assert.ok(lines.length >= 1 && lines.length < 5, `some refreshes failed: ${lines.length} lines`);
    assert.match(lines[0], new RegExp(`^\\S+Z netns="netns ${ns}" critical=`), 'each line names the namespace watched');
    const said = stderr.split('\n').filter((l) => l.includes(`sampling failed: --netns "${ns}": no such network namespace`));
    assert.equal(said.length, 1, `said once:\n${stderr}`);
  } finally {
    clearTimeout(killer);
    child.kill('SIGKILL');
    destroyNetns(ns);
  }
});

test('live: --netns, --pid read only their namespace (scope in the JSON), and --pid of a host process shows no other namespace\'s counter finding', { skip: !isRoot && 'needs root (ip netns)', timeout: 120_000 }, async () => {
  const s = scene();
  const busy = `sockdoc-sc-${process.pid}-busy`;
  const quiet = `sockdoc-sc-${process.pid}-quiet`;
  try {
    // busy: a listener that never accepts, backlog capped at 4, and 40 clients: its ListenOverflows
    // rise while the kernel retransmits SYN-ACKs to them (a counter finding of that namespace).
    s.netns(busy, 4);
    s.netns(quiet);
    const stuck = await s.peer(busy, ['stuck', '7331']);
    await s.peer(busy, ['clients', '7331', '40']);
    await s.peer(quiet, ['accepting', '7332']);
    type Doc = { scope: { asked: string; read: number; seen: number } | null; namespaces: Array<{ inode: number; name: string }>; findings: Array<{ id: string; subject: { netns?: { inode: number } } }> };
    const json = (args: string[]) => {
      const r = sockdoc([...args, '--json']);
      assert.ok(r.status !== null && r.status <= 2, `${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
      return JSON.parse(r.stdout) as Doc;
    };
    const one = json(['--netns', busy, '--interval', '2']);
    assert.equal(one.scope?.asked, `--netns ${busy}`);
    assert.equal(one.scope?.read, 1);
    assert.ok((one.scope?.seen ?? 0) >= 3, `seen ${one.scope?.seen}`);
    assert.deepEqual(one.namespaces.map((n) => n.name), [busy]);
    const busyInode = one.namespaces[0].inode;
    assert.ok(one.findings.some((f) => f.id === 'listen-overflows' && f.subject.netns?.inode === busyInode), `the busy namespace drops handshakes: ${one.findings.map((f) => f.id)}`);

    const byPid = json(['--pid', String(stuck), '--interval', '0']);
    assert.deepEqual([byPid.scope?.asked, byPid.scope?.read], [`--pid ${stuck}`, 1]);
    assert.deepEqual(byPid.namespaces.map((n) => n.inode), [busyInode]);

    // A host process (this test's own): the busy namespace is neither read nor reported.
    const host = json(['--pid', String(process.pid), '--interval', '2']);
    assert.equal(host.scope?.read, 1);
    assert.ok(!host.namespaces.some((n) => n.inode === busyInode));
    assert.deepEqual(host.findings.filter((f) => f.subject.netns?.inode === busyInode), []);

    const text = sockdoc(['sockets', '--netns', quiet]);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /127\.0\.0\.1:7332/);
    assert.doesNotMatch(text.stdout, /7331/);
  } finally {
    assert.deepEqual(s.close(), []);
  }
});
