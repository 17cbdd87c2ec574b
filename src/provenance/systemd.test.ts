import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError } from '../probe/read-file.js';
import { fixture } from '../testing/paths.js';
import { findDropIns, readManagerDefault, readUnitLimit as readUnitLimitIn, systemScope, templateOf } from './systemd.js';
import { builtinDefault } from './systemd-defaults.js';

const MODERN = builtinDefault(252, 1073741816);
const readUnitLimit = (root: string, unit: string) => readUnitLimitIn(root, unit, systemScope(MODERN));
import { makeTree } from './test-tree.js';
import { existsSync, lstatSync, mkdirSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';

test('a unit LimitNOFILE= is read from the unit file', () => {
  const u = readUnitLimit(fixture('limits', 'systemd-unit'), 'api.service');
  assert.equal(u.fragment, '/etc/systemd/system/api.service');
  assert.deepEqual(u.limit.value, { soft: 65536, hard: 65536 });
  assert.equal(u.limit.origin, 'unit');
  assert.equal(u.limit.setting, 'LimitNOFILE=65536');
  assert.equal(u.limit.line, 8);
});

test('drop-ins apply in file-name order after the unit; an empty LimitNOFILE= resets', () => {
  const u = readUnitLimit(fixture('limits', 'systemd-dropin'), 'redis-server.service');
  assert.equal(u.fragment, '/lib/systemd/system/redis-server.service');
  assert.deepEqual(u.dropIns, ['/etc/systemd/system/redis-server.service.d/10-reset.conf', '/etc/systemd/system/redis-server.service.d/override.conf']);
  assert.equal(u.limit.origin, 'drop-in');
  assert.equal(u.limit.file, '/etc/systemd/system/redis-server.service.d/override.conf');
  assert.deepEqual(u.limit.value, { soft: 100000, hard: 100000 });
});

test('a reset with nothing after it falls back to the manager default', () => {
  const t = makeTree({
    '/lib/systemd/system/a.service': '[Service]\nLimitNOFILE=65535\n',
    '/etc/systemd/system/a.service.d/zz.conf': '[Service]\nLimitNOFILE=\n',
    '/etc/systemd/system.conf': '[Manager]\nDefaultLimitNOFILE=2048:4096\n',
  });
  try {
    const u = readUnitLimit(t.root, 'a.service');
    assert.equal(u.limit.origin, 'manager-default');
    assert.deepEqual(u.limit.value, { soft: 2048, hard: 4096 });
  } finally {
    t.cleanup();
  }
});

test('a drop-in name in /etc masks the same name in /usr/lib; templates and dash prefixes count', () => {
  const t = makeTree({
    '/usr/lib/systemd/system/web@.service': '[Service]\nExecStart=/bin/true\n',
    '/usr/lib/systemd/system/web@.service.d/limits.conf': '[Service]\nLimitNOFILE=100\n',
    '/etc/systemd/system/web@.service.d/limits.conf': '[Service]\nLimitNOFILE=200\n',
    '/etc/systemd/system/app-.service.d/00-base.conf': '[Service]\nLimitNOFILE=50\n',
  });
  try {
    assert.equal(templateOf('web@blue.service'), 'web@.service');
    assert.deepEqual(findDropIns(t.root, 'web@blue.service'), ['/etc/systemd/system/web@.service.d/limits.conf']);
    assert.deepEqual(findDropIns(t.root, 'app-api.service'), ['/etc/systemd/system/app-.service.d/00-base.conf']);
    const u = readUnitLimit(t.root, 'web@blue.service');
    assert.equal(u.fragment, '/usr/lib/systemd/system/web@.service');
    assert.deepEqual(u.limit.value, { soft: 200, hard: 200 });
  } finally {
    t.cleanup();
  }
});

test('DefaultLimitNOFILE: system.conf.d overrides system.conf; absent means the built-in 1024:524288', () => {
  const d = readManagerDefault(fixture('limits', 'systemd-default'), [], MODERN);
  assert.equal(d.file, '/etc/systemd/system.conf.d/60-limits.conf');
  assert.deepEqual(d.value, { soft: 8192, hard: 65536 });
  const b = readManagerDefault(fixture('limits', 'systemd-unit'), [], MODERN);
  assert.equal(b.origin, 'built-in');
  assert.deepEqual(b.value, { soft: 1024, hard: 524288 });
});

test('an invalid value is ignored with a warning, as systemd does', () => {
  const t = makeTree({ '/etc/systemd/system/b.service': '[Service]\nLimitNOFILE=4096\nLimitNOFILE=lots\n' });
  try {
    const u = readUnitLimit(t.root, 'b.service');
    assert.deepEqual(u.limit.value, { soft: 4096, hard: 4096 });
    assert.match(u.warnings[0], /b\.service:3: LimitNOFILE=lots is not a valid limit; systemd ignores it/);
  } finally {
    t.cleanup();
  }
});

test('a malformed drop-in is a ParseError naming the drop-in and line', () => {
  assert.throws(
    () => readUnitLimit(fixture('limits', 'broken-dropin'), 'api.service'),
    (e: unknown) => e instanceof ParseError && e.file === '/etc/systemd/system/api.service.d/limits.conf' && e.line === 2,
  );
});

test('a unit with no file anywhere gets the default and a warning', () => {
  const u = readUnitLimit(fixture('limits', 'systemd-unit'), 'nothere.service');
  assert.equal(u.fragment, null);
  assert.equal(u.limit.origin, 'built-in');
  assert.match(u.warnings.join(' '), /No unit file for nothere\.service/);
});

test('systemd before 240 gives services the kernel 1024:4096; from 240 1024:min(512K, nr_open)', () => {
  assert.deepEqual(builtinDefault(219, 1048576).value, { soft: 1024, hard: 4096 });
  assert.deepEqual(builtinDefault(239, 1048576).value, { soft: 1024, hard: 4096 });
  assert.deepEqual(builtinDefault(240, 1048576).value, { soft: 1024, hard: 524288 });
  assert.deepEqual(builtinDefault(252, 100000).value, { soft: 1024, hard: 100000 });
  // Unknown version: both, neither asserted.
  assert.deepEqual(builtinDefault(null, 1048576).unknownVersion, { before240: { soft: 1024, hard: 4096 }, since240: { soft: 1024, hard: 524288 } });
  assert.match(builtinDefault(null, 1048576).describe, /1024:4096 before systemd 240, 1024:524288 from 240 on; the version here could not be read/);
  assert.equal(builtinDefault(252, 1048576).unknownVersion, undefined);
});

test('keys systemd ignores: misspelled, wrongly cased, in the wrong section, DefaultLimitNOFILE in a unit', () => {
  const t = makeTree({
    '/etc/systemd/system/k.service': '[Unit]\nLimitNOFILE=1000\n[Service]\nLimitNOFLIE=2000\nLimitNofile=3000\nDefaultLimitNOFILE=4000\nLimitNPROC=10\n',
    '/etc/systemd/system.conf': '[Service]\nDefaultLimitNOFILE=5000\n[Manager]\nLimitNOFILE=6000\n',
  });
  try {
    const u = readUnitLimit(t.root, 'k.service');
    assert.equal(u.limit.origin, 'built-in', 'none of them is applied');
    const w = u.warnings.join('\n');
    assert.match(w, /k\.service:2: LimitNOFILE=1000 is in \[Unit\], not \[Service\]; systemd ignores it/);
    assert.match(w, /k\.service:4: LimitNOFLIE=2000 is not a key systemd knows/);
    assert.match(w, /k\.service:5: LimitNofile=3000 is not a key/);
    assert.match(w, /k\.service:6: DefaultLimitNOFILE=4000 belongs in \/etc\/systemd\/system\.conf/);
    assert.match(w, /system\.conf:2: DefaultLimitNOFILE=5000 is in \[Service\], not \[Manager\]/);
    assert.match(w, /system\.conf:4: LimitNOFILE=6000 is a unit setting/);
    assert.ok(!w.includes('LimitNPROC'));
  } finally {
    t.cleanup();
  }
});

/** A tree with files and links (host path -> { link } or text). */
function treeWithLinks(files: Record<string, string>, links: Record<string, string>) {
  const t = makeTree(files);
  for (const [path, target] of Object.entries(links)) {
    mkdirSync(dirname(join(t.root, path)), { recursive: true });
    symlinkSync(target, join(t.root, path));
  }
  return t;
}

test('masked units (man systemd.unit): a link to /dev/null or an empty file; the file the mask hides is what a running service started from', () => {
  const t = treeWithLinks(
    {
      '/lib/systemd/system/api.service': '[Service]\nLimitNOFILE=4096\n',
      '/etc/systemd/system/empty.service': '',
      '/etc/systemd/system/newline.service': '\n',
      '/etc/systemd/system/d.service': '[Service]\nLimitNOFILE=2048\n',
      '/lib/systemd/system/d.service.d/limits.conf': '[Service]\nLimitNOFILE=9999\n',
      '/etc/systemd/system.conf': '[Manager]\nDefaultLimitNOFILE=1000:2000\n',
    },
    {
      '/etc/systemd/system/api.service': '/dev/null',
      '/etc/systemd/system/only.service': '/dev/null',
      // Via a relative link chain, as `ln -s ../../../dev/null` would make it.
      '/etc/systemd/system/rel.service': 'chain.service',
      '/etc/systemd/system/chain.service': '../../../dev/null',
      // A drop-in masked by a same-named link in a higher-priority directory applies nothing.
      '/etc/systemd/system/d.service.d/limits.conf': '/dev/null',
    },
  );
  try {
    const api = readUnitLimit(t.root, 'api.service');
    assert.deepEqual(api.masked, { file: '/etc/systemd/system/api.service', how: 'link' });
    assert.equal(api.fragment, '/lib/systemd/system/api.service');
    assert.deepEqual(api.limit.value, { soft: 4096, hard: 4096 });
    assert.match(api.warnings.join(' '), /api\.service is masked \(\/etc\/systemd\/system\/api\.service → \/dev\/null\)/);
    const only = readUnitLimit(t.root, 'only.service');
    assert.equal(only.masked?.how, 'link');
    assert.equal(only.fragment, null);
    assert.equal(only.limit.origin, 'manager-default');
    assert.doesNotMatch(only.warnings.join(' '), /No unit file/);
    assert.deepEqual(readUnitLimit(t.root, 'empty.service').masked, { file: '/etc/systemd/system/empty.service', how: 'empty' });
    assert.equal(readUnitLimit(t.root, 'newline.service').masked, undefined, 'a newline is an empty unit, not a mask (size 0 only)');
    assert.equal(readUnitLimit(t.root, 'rel.service').masked?.how, 'link');
    const d = readUnitLimit(t.root, 'd.service');
    assert.equal(d.masked, undefined);
    assert.deepEqual(d.limit.value, { soft: 2048, hard: 2048 }, 'the masked drop-in hides the one in /lib');
    // A manager configuration file masked the same way reads as empty, never as an error.
    assert.equal(readManagerDefault(t.root, [], MODERN).origin, 'manager-default');
  } finally {
    t.cleanup();
  }
});

test('a masked unit on the live host reads as masked, not as a refused read under /dev', { skip: existsSync('/lib/systemd/system/hwclock.service') ? false : 'no masked unit shipped on this host' }, () => {
  const u = readUnitLimit('/', 'hwclock.service');
  if (lstatSync('/lib/systemd/system/hwclock.service').isSymbolicLink()) assert.equal(u.masked?.how, 'link');
});
