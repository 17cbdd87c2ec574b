/**
 * A capture built by an attacker (docs/safety.md): links out of the tree, FIFOs, a device, a sparse
 * 8 GiB file, include cycles, a pid beyond PID_MAX_LIMIT, and escape sequences, bidi overrides and
 * shell syntax in every string field (hostname, comm, cmdline, cgroup/unit name, user name, file
 * names, config lines). The real binary reads it with --root, for diagnose, sockets and limits,
 * text and JSON, and must: finish in bounded time and memory, read nothing outside the tree, print
 * no raw control or bidi character, give fix lines that bash reads without running anything, and
 * mark the report partial.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath, fixture } from '../testing/paths.js';

const isRoot = process.getuid?.() === 0;
const SECRET = 'TOKEN-outside-the-capture-7f3a';
/** Control, ESC, C1 CSI and bidi characters: none may reach a terminal raw. */
// eslint-disable-next-line no-control-regex
const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

interface Tree {
  top: string;
  root: string;
  markers: string[];
}

/** Every string field gets an ESC sequence, a bidi override and a command that would leave a marker. */
function hostile(markers: string[], what: string): string {
  const m = `/tmp/sockdoc-pwned-${process.pid}-${what}`;
  markers.push(m);
  return `\x1b]0;pwned\x07\x1b[2J\u202e$(touch ${m})\`touch ${m}\`'; touch ${m} #`;
}

function buildTree(): Tree {
  const top = mkdtempSync(join(tmpdir(), 'sockdoc-hostile-'));
  const root = join(top, 'capture');
  const markers: string[] = [];
  writeFileSync(join(top, 'secret'), `${SECRET}\n`);
  cpSync(fixture('limits', 'supervisord-not-restarted'), root, { recursive: true, verbatimSymlinks: true });
  cpSync(fixture('hosts', 'seed-close-wait', 'proc', 'net'), join(root, 'proc', 'net'), { recursive: true });
  cpSync(fixture('hosts', 'seed-close-wait', 'sock_diag'), join(root, 'sock_diag'), { recursive: true });
  const w = (rel: string, text: string) => {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    rmSync(join(root, rel), { force: true });
    writeFileSync(join(root, rel), text, 'latin1');
  };
  const ln = (target: string, rel: string) => {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    rmSync(join(root, rel), { force: true });
    symlinkSync(target, join(root, rel));
  };
  const utf8 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

  // Strings: hostname, comm, cmdline, user name, config lines.
  w('proc/sys/kernel/hostname', utf8(`host${hostile(markers, 'hostname')}\n`));
  w('proc/sys/kernel/osrelease', '6.1.0\n');
  const stat = readFileSync(join(root, 'proc/5120/stat'), 'latin1');
  // 5120 holds the seed's listener (inode 602145 in tcp6), so every table shows its name.
  ln('socket:[602145]', 'proc/5120/fd/3');
  // prctl(PR_SET_NAME) takes any byte but NUL: a newline would split a table row.
  w('proc/5120/stat', stat.replace('(sleeper)', utf8(`(sl\x1b[2J\u202e\nper)`)));
  w('proc/5120/cmdline', utf8(`/srv/jobs/sleeper\0--password=hunter2\0${hostile(markers, 'cmdline')}\0`));
  w('proc/5100/cmdline', utf8(`/usr/bin/python3\0/usr/bin/supervisord\0-c\0/srv/jobs/supervisord.conf\0${hostile(markers, 'supervisord-argv')}\0`));
  const passwd = readFileSync(join(root, 'etc/passwd'), 'latin1');
  w('etc/passwd', passwd.replace(/^root:/m, utf8(`r\x1b[31moot:`)));
  w('srv/jobs/supervisord.conf', readFileSync(join(root, 'srv/jobs/supervisord.conf'), 'latin1') + utf8(`\n[include]\nfiles = *.conf conf.d/*.conf ../../../../../../secret\n[program:x${hostile(markers, 'ini')}]\ncommand=${hostile(markers, 'ini-command')}\n`));

  // A service whose unit name and drop-in file name carry shell syntax (its fix lines name both).
  cpSync(join(root, 'proc/5120'), join(root, 'proc/5200'), { recursive: true, verbatimSymlinks: true });
  w('proc/5200/stat', stat.replace(/^5120 \(sleeper\) \S 5100/, '5200 (api) S 1'));
  w('proc/5200/cmdline', '/srv/api\0');
  const status = readFileSync(join(root, 'proc/5200/status'), 'latin1');
  w('proc/5200/status', status.replace(/^Name:.*$/m, 'Name:\tapi').replace(/^Tgid:.*$/m, 'Tgid:\t5200').replace(/^Pid:.*$/m, 'Pid:\t5200').replace(/^PPid:.*$/m, 'PPid:\t1'));
  // No '/' in a unit or file name: the markers are relative to the directory bash runs in (top).
  const unit = 'zz$(touch unit-marker).service';
  markers.push(join(top, 'unit-marker'));
  w('proc/5200/cgroup', `0::/system.slice/${unit}\n`);
  w(`etc/systemd/system/${unit}.d/zz $(touch dropin-marker).conf`, '[Service]\nLimitNOFILE=1024:4096\n');
  // Its live limit is the drop-in's, so the fix has a durable step that names the unit and the file.
  const limits = readFileSync(join(root, 'proc/5200/limits'), 'latin1');
  w('proc/5200/limits', limits.replace(/^Max open files.*$/m, 'Max open files            1024                 4096                 files'));
  markers.push(join(top, 'dropin-marker'));

  // A pid beyond PID_MAX_LIMIT: it once wrapped to pid 1 in the native walk.
  cpSync(join(root, 'proc/1'), join(root, 'proc/4294967297'), { recursive: true });
  // Links out of the tree, absolute and relative; a symlinked drop-in directory.
  mkdirSync(join(root, 'etc/security/limits.d'), { recursive: true });
  ln(join(top, 'secret'), 'etc/security/limits.d/abs.conf');
  ln('../../../../../../../../../../../' + join(top, 'secret'), 'etc/security/limits.conf');
  ln('/proc/self/environ', 'etc/group');
  ln('/etc/systemd/system', 'etc/systemd/system/api.service.d');
  // FIFOs where files are expected: a pam.d file, an included supervisord file, a per-process file.
  mkdirSync(join(root, 'etc/pam.d'), { recursive: true });
  rmSync(join(root, 'proc/1/limits'));
  execFileSync('mkfifo', [join(root, 'etc/pam.d/common-session'), join(root, 'srv/jobs/fifo.conf'), join(root, 'proc/1/limits')]);
  // A link inside a process directory is never followed (cwd, root, exe are magic links live).
  ln('/srv/jobs', 'proc/5120/cwd');
  ln('../../etc', 'proc/5120/root');
  // Include cycles in pam.d.
  w('etc/pam.d/cron', '@include cron\n@include login\nsession include cron\n');
  w('etc/pam.d/login', '@include cron\n@include login\nsession substack login\n');
  // A device and links to it; a sparse 8 GiB table.
  mkdirSync(join(root, 'dev'), { recursive: true });
  if (isRoot) execFileSync('mknod', [join(root, 'dev/zero'), 'c', '1', '5']);
  rmSync(join(root, 'proc/net/snmp'));
  ln('/dev/zero', 'proc/net/snmp');
  rmSync(join(root, 'proc/net/tcp'));
  writeFileSync(join(root, 'proc/net/tcp'), '');
  truncateSync(join(root, 'proc/net/tcp'), 8 * 1024 ** 3);
  // A pid directory that is a link out of the tree.
  mkdirSync(join(top, 'elsewhere', '7777'), { recursive: true });
  writeFileSync(join(top, 'elsewhere', '7777', 'stat'), `7777 (${SECRET}) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0\n`);
  ln(join(top, 'elsewhere', '7777'), 'proc/7777');
  return { top, root, markers };
}

/** Runs the CLI with a time bound and measures the child's peak RSS (python's getrusage of children). */
function run(args: string[]): { code: number | null; stdout: string; stderr: string; maxRssKiB: number; ms: number } {
  const t0 = performance.now();
  const r = spawnSync(
    'python3',
    ['-c', 'import resource,subprocess,sys\nr=subprocess.run(sys.argv[1:])\nsys.stderr.write("\\nMAXRSS=%d\\n" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\nsys.exit(r.returncode)', process.execPath, cliPath, ...args],
    { encoding: 'utf8', timeout: 30_000, env: { ...process.env, NO_COLOR: '1' } },
  );
  const ms = performance.now() - t0;
  assert.equal(r.error, undefined, `${args.join(' ')}: ${r.error}`);
  const m = /\nMAXRSS=(\d+)\n$/.exec(r.stderr);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.replace(/\nMAXRSS=\d+\n$/, ''), maxRssKiB: Number(m?.[1]), ms };
}

test('a hostile capture: bounded, confined, escaped, quoted, partial — for diagnose, sockets and limits', (t) => {
  const tree = buildTree();
  try {
    const runs = {
      diagnose: run(['--root', tree.root, '--interval', '0']),
      diagnoseJson: run(['--root', tree.root, '--interval', '0', '--json']),
      sockets: run(['sockets', '--root', tree.root]),
      limits: run(['limits', '--root', tree.root, '5120', '5200', '5100']),
      limitsJson: run(['limits', '--root', tree.root, '5120', '5200', '5100', '--json']),
    };
    for (const [name, r] of Object.entries(runs)) {
      t.diagnostic(`${name}: exit ${r.code}, ${Math.round(r.ms)} ms, peak RSS ${Math.round(r.maxRssKiB / 1024)} MiB`);
      assert.ok(r.code !== null && r.code <= 3, `${name} ended by itself (exit ${r.code}): ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /internal error/, name);
      assert.ok(r.maxRssKiB < 400 * 1024, `${name}: peak RSS ${r.maxRssKiB} KiB`);
      assert.ok(!(r.stdout + r.stderr).includes(SECRET), `${name} read outside the tree`);
      if (!name.endsWith('Json')) {
        const bad = (r.stdout + r.stderr).split('\n').find((l) => RAW.test(l));
        assert.equal(bad, undefined, `${name} printed a raw control or bidi character: ${JSON.stringify(bad)}`);
      }
    }
    // Escaped, still readable.
    assert.match(runs.diagnose.stdout, /host\\x1b\]0;pwned\\x07\\x1b\[2J\\u202e\$\(touch/);
    for (const name of ['sockets', 'limits', 'diagnose'] as const) assert.match(runs[name].stdout, /sl\\x1b\[2J\\u202e\\nper/, name);

    // Partial, and why.
    const d = JSON.parse(runs.diagnoseJson.stdout) as { partial: boolean; notes: string[]; processes: Array<{ pid: number }> };
    assert.equal(d.partial, true);
    assert.ok(d.notes.some((n) => /net\/tcp: .*EFBIG/.test(n)), d.notes.join(' | '));
    assert.ok(d.notes.some((n) => /snmp.*(ENOTREG|not a regular file)/.test(n)), d.notes.join(' | '));
    assert.ok(d.processes.every((p) => p.pid <= 4194304), 'no pid beyond PID_MAX_LIMIT');
    assert.ok(!d.processes.some((p) => p.pid === 7777), 'a pid directory linked out of the tree is not read');

    // Every fix line, given to bash (after the no-op ":"), runs nothing: no marker appears.
    const origins = JSON.parse(runs.limitsJson.stdout) as Array<{ pid: number; fix: string[] }>;
    const fixes = origins.flatMap((o) => o.fix);
    assert.ok(fixes.some((f) => f.includes('touch')), 'the hostile strings reach the fix lines (quoted)');
    for (const line of fixes) {
      const r = spawnSync('bash', ['-c', `: ${line}`], { cwd: tree.top, encoding: 'utf8', timeout: 5000 });
      assert.equal(r.error, undefined);
    }
    for (const m of tree.markers) assert.ok(!existsSync(m), `a fix line ran a command: ${m} exists`);
    // The supervisord restart quotes its hostile argv word as one word.
    assert.ok(fixes.some((f) => f.includes("supervisord.conf $'\\x1b]0;pwned\\x07")), fixes.join('\n'));
    // The unit name with $(…) is one quoted word in every command line that names it, and there is one.
    const unitLines = fixes.filter((x) => x.includes('unit-marker') && !x.startsWith('#'));
    assert.ok(unitLines.length > 0, `a command line names the unit:\n${fixes.join('\n')}`);
    // Outside single-quoted words (and the trailing comment) nothing of the unit's name is left.
    for (const f of unitLines) assert.ok(!f.replace(/'[^']*'/g, "''").replace(/\s#.*$/, '').includes('unit-marker'), f);
    assert.ok(unitLines.some((f) => f.includes("systemctl") && f.includes("'zz$(touch unit-marker).service'")), unitLines.join('\n'));
  } finally {
    rmSync(tree.top, { recursive: true, force: true });
    for (const m of tree.markers) rmSync(m, { force: true });
  }
});
