import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture } from '../testing/paths.js';
import { provenanceFiles } from './capture-files.js';
import { readSystemdVersion, versionFromBinary, versionFromLibName } from './host-facts.js';

test('a capture takes the manager configuration, units, drop-ins and the systemd version marker', () => {
  const f = provenanceFiles(fixture('limits', 'user-manager'));
  assert.ok(f.copy.includes('/etc/systemd/user.conf'));
  assert.ok(f.copy.includes('/lib/systemd/system/user@.service'));
  assert.deepEqual(f.markers, ['/usr/lib/x86_64-linux-gnu/systemd/libsystemd-shared-252.so']);
  const d = provenanceFiles(fixture('limits', 'systemd-dropin'));
  assert.ok(d.copy.includes('/etc/systemd/system/redis-server.service.d/override.conf'), d.copy.join('\n'));
});

test('the systemd version from each source a tree can have', () => {
  assert.equal(versionFromLibName('libsystemd-shared-252.so'), 252);
  assert.equal(versionFromLibName('libsystemd-shared-254.10-1.fc39.so'), 254);
  assert.equal(versionFromLibName('libsystemd-core-252.so'), null);
  assert.equal(versionFromBinary('\0systemd 219\0+PAM +AUDIT'), 219);
  assert.equal(versionFromBinary('\0systemd 252 (252.22-1~deb12u1)\0'), 252);
  assert.equal(versionFromBinary('\0libsystemd 2\0'), null);
  assert.deepEqual(readSystemdVersion(fixture('limits', 'systemd-219')), { version: 219, from: '/usr/share/doc/systemd-219' });
  assert.deepEqual(readSystemdVersion(fixture('limits', 'dropin-above-pid1')), { version: 237, from: '/lib/systemd/libsystemd-shared-237.so' });
  assert.equal(readSystemdVersion(fixture('limits', 'systemd-unit')), null);
});
