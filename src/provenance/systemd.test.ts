import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError } from '../probe/read-file.js';
import { fixture } from '../testing/paths.js';
import { findDropIns, readManagerDefault, readUnitLimit, templateOf } from './systemd.js';
import { makeTree } from './test-tree.js';

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
  const d = readManagerDefault(fixture('limits', 'systemd-default'));
  assert.equal(d.file, '/etc/systemd/system.conf.d/60-limits.conf');
  assert.deepEqual(d.value, { soft: 8192, hard: 65536 });
  const b = readManagerDefault(fixture('limits', 'systemd-unit'));
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
