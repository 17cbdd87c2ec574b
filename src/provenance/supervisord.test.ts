import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ParseError } from '../probe/read-file.js';
import { fixture } from '../testing/paths.js';
import { applyMinfds, parseIni, parseSupervisordArgs, readSupervisordConfig, supervisordSearchPaths } from './supervisord.js';
import { makeTree } from './test-tree.js';
import { newGlobBudget } from './config-files.js';

test('parseIni reads the Debian supervisord.conf: sections, lower-cased keys, inline comments', () => {
  const file = fixture('limits', 'systemd-builtin-seed', 'etc/supervisor/supervisord.conf');
  const a = parseIni(readFileSync(file, 'utf8'), file);
  const minfds = a.find((x) => x.section === 'supervisord' && x.key === 'minfds');
  assert.equal(minfds?.value, '65536');
  assert.equal(a.find((x) => x.section === 'unix_http_server' && x.key === 'file')?.value, '/var/run/supervisor.sock');
  assert.equal(a.find((x) => x.section === 'include')?.value, '/etc/supervisor/conf.d/*.conf');
});

test('parseIni: "key: value", continuation lines, and malformed lines', () => {
  const a = parseIni('[program:x]\nCommand: /bin/x\n  --flag\n', 'f');
  assert.deepEqual([a[0].key, a[0].value], ['command', '/bin/x\n--flag']);
  assert.throws(() => parseIni('minfds=1\n', 'f'), (e: unknown) => e instanceof ParseError && e.line === 1);
  assert.throws(() => parseIni('[supervisord]\nnonsense\n', 'f'), (e: unknown) => e instanceof ParseError && e.line === 2);
});

test('parseSupervisordArgs skips the interpreter and reads -c/--configuration and -a/--minfds forms', () => {
  assert.deepEqual(parseSupervisordArgs(['/usr/bin/python3', '/usr/bin/supervisord', '-n', '-c', '/etc/s.conf']), { config: '/etc/s.conf', minfds: null, script: '/usr/bin/supervisord' });
  assert.equal(parseSupervisordArgs(['supervisord', '--configuration=/x.conf']).config, '/x.conf');
  assert.equal(parseSupervisordArgs(['supervisord', '-c/y.conf']).config, '/y.conf');
  assert.equal(parseSupervisordArgs(['supervisord', '-a', '4096']).minfds, 4096);
  assert.equal(parseSupervisordArgs(['supervisord', '--minfds=8192']).minfds, 8192);
});

test('default search paths follow supervisor options.py: beside the script, the cwd, then /etc', () => {
  assert.deepEqual(supervisordSearchPaths('/usr/bin/supervisord', '/srv'), [
    '/usr/etc/supervisord.conf',
    '/usr/supervisord.conf',
    '/srv/supervisord.conf',
    '/srv/etc/supervisord.conf',
    '/etc/supervisord.conf',
    '/etc/supervisor/supervisord.conf',
  ]);
});

test('an [include]d file overrides minfds of the main file; the command line beats both', () => {
  const root = fixture('limits', 'supervisord-minfds');
  const c = readSupervisordConfig(root, parseSupervisordArgs(['/usr/bin/supervisord', '-c', '/etc/supervisor/supervisord.conf']), '/');
  assert.ok(c);
  assert.equal(c.minfds, 4096);
  assert.deepEqual(c.minfdsFrom, { file: '/etc/supervisor/conf.d/00-limits.conf', line: 2, how: 'file' });
  assert.deepEqual(c.files, ['/etc/supervisor/supervisord.conf', '/etc/supervisor/conf.d/00-limits.conf', '/etc/supervisor/conf.d/worker.conf']);
  const cli = readSupervisordConfig(root, parseSupervisordArgs(['supervisord', '-c', '/etc/supervisor/supervisord.conf', '-a', '2000']), '/');
  assert.equal(cli?.minfds, 2000);
  assert.equal(cli?.minfdsFrom.how, 'command line');
});

test('without -c the first existing default path is used; minfds defaults to 1024; none found -> null', () => {
  const t = makeTree({ '/etc/supervisord.conf': '[supervisord]\nlogfile=/tmp/x\n', '/srv/app/supervisord.conf': '[supervisord]\nminfds=9\n' });
  try {
    const c = readSupervisordConfig(t.root, parseSupervisordArgs(['/usr/bin/supervisord']), '/');
    assert.equal(c?.file, '/etc/supervisord.conf');
    assert.equal(c?.minfds, 1024);
    assert.equal(c?.minfdsFrom.how, 'default');
    const rel = readSupervisordConfig(t.root, parseSupervisordArgs(['/usr/bin/supervisord', '-c', 'supervisord.conf']), '/srv/app');
    assert.equal(rel?.minfds, 9);
    assert.equal(readSupervisordConfig(t.root, parseSupervisordArgs(['/usr/bin/supervisord', '-c', '/nope.conf']), '/'), null);
  } finally {
    t.cleanup();
  }
});

test('applyMinfds mirrors set_rlimits_or_exit: raise soft below minfds, and hard when lower', () => {
  assert.deepEqual(applyMinfds({ soft: 1024, hard: 524288 }, 4096), { soft: 4096, hard: 524288 });
  assert.deepEqual(applyMinfds({ soft: 1500, hard: 2000 }, 3000), { soft: 3000, hard: 3000 });
  assert.deepEqual(applyMinfds({ soft: 8192, hard: 8192 }, 1024), { soft: 8192, hard: 8192 });
});

test('[include] globs as Python glob.glob reads them: wildcards in any component, hidden names skipped, sorted', () => {
  const t = makeTree({
    '/etc/sv/main.conf': '[supervisord]\nminfds=100\n[include]\nfiles = sites/*/conf.d/*.conf [!b]x.ini\n',
    '/etc/sv/sites/b/conf.d/10.conf': '[supervisord]\nminfds=300\n',
    '/etc/sv/sites/a/conf.d/20.conf': '[supervisord]\nminfds=200\n',
    '/etc/sv/sites/a/conf.d/.hidden.conf': '[supervisord]\nminfds=999\n',
    '/etc/sv/sites/.c/conf.d/30.conf': '[supervisord]\nminfds=998\n',
    '/etc/sv/sites/notadir': '',
    '/etc/sv/ax.ini': '[program:x]\ncommand=/bin/true\n',
    '/etc/sv/bx.ini': '[supervisord]\nminfds=997\n',
  });
  try {
    const c = readSupervisordConfig(t.root, parseSupervisordArgs(['/usr/bin/supervisord', '-c', '/etc/sv/main.conf']), '/');
    assert.deepEqual(c?.files, ['/etc/sv/main.conf', '/etc/sv/sites/a/conf.d/20.conf', '/etc/sv/sites/b/conf.d/10.conf', '/etc/sv/ax.ini']);
    assert.equal(c?.minfds, 300);
    assert.deepEqual(c?.warnings, []);
  } finally {
    t.cleanup();
  }
});

test('a hostile [include] pattern (24 stars) beside long names: matched without backtracking; a spent budget stops the walk with a warning', () => {
  const names: Record<string, string> = { '/home/u/s.conf': `[supervisord]\nminfds=100\n[include]\nfiles = ${'*a'.repeat(24)}*b\n` };
  for (let i = 0; i < 50; i++) names[`/home/u/${'a'.repeat(200)}${i}`] = '';
  names['/home/u/aaaaaaaaaaaaaaaaaaaaaaaaab'] = '[supervisord]\nminfds=7\n';
  const t = makeTree(names);
  try {
    const c = readSupervisordConfig(t.root, parseSupervisordArgs(['supervisord', '-c', '/home/u/s.conf']), '/');
    assert.equal(c?.minfds, 7, 'the one file with 24 a and a final b matches');
    // A budget of 10 entries runs out among the 52 names: the walk stops, and says so.
    const cut = readSupervisordConfig(t.root, parseSupervisordArgs(['supervisord', '-c', '/home/u/s.conf']), '/', newGlobBudget(10_000, 10));
    assert.equal(cut?.minfds, 100);
    assert.match(cut?.warnings.join('\n') ?? '', /s\.conf:4: expanding the glob \*a\*a.*\*b in \/home\/u went over its budget \(10 directory entries or 10000 ms/);
  } finally {
    t.cleanup();
  }
});
