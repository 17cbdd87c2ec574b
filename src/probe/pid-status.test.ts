import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError } from './read-file.js';
import { parsePidStatus, readPidStatus } from './pid-status.js';
import { procFixture, procTree, loadProcCapture } from '../testing/proc-capture.js';

test('real status files: owner, fd table size, kernel thread flag', () => {
  assert.deepEqual(parsePidStatus(procFixture('server-status')), { uid: 0, euid: 0, suid: 0, gids: { gid: 0, egid: 0, sgid: 0 }, fdSize: 256, kthread: false, capEff: 0x1fffeffffffn, tgid: 14286, fsuid: 0, fsgid: 0, groups: [] });
  assert.deepEqual(parsePidStatus(procFixture('nobody-status')), { uid: 65534, euid: 65534, suid: 65534, gids: { gid: 65534, egid: 65534, sgid: 65534 }, fdSize: 256, kthread: false, capEff: 0n, tgid: 14288, fsuid: 65534, fsgid: 65534, groups: [] });
  assert.deepEqual(parsePidStatus(procFixture('kthreadd-status')), { uid: 0, euid: 0, suid: 0, gids: { gid: 0, egid: 0, sgid: 0 }, fdSize: 64, kthread: true, capEff: 0x1ffffffffffn, tgid: 2, fsuid: 0, fsgid: 0, groups: [] });
  assert.equal(parsePidStatus(procFixture('zombie-status')).fdSize, 0);
});

test('real and effective uid are told apart', () => {
  const text = procFixture('nobody-status').replace('Uid:\t65534\t65534\t65534\t65534', 'Uid:\t1000\t0\t0\t0');
  const s = parsePidStatus(text);
  assert.equal(s.uid, 1000);
  assert.equal(s.euid, 0);
});

test('a kernel without the Kthread line gives kthread null', () => {
  const text = procFixture('server-status').replace(/^Kthread:.*\n/m, '');
  assert.equal(parsePidStatus(text).kthread, null);
});

test('missing or malformed Uid is a ParseError naming the line', () => {
  const noUid = procFixture('server-status').replace(/^Uid:.*\n/m, '');
  assert.throws(() => parsePidStatus(noUid, 'f'), (e: unknown) => e instanceof ParseError && /no Uid/.test(e.reason));
  const lines = procFixture('server-status').split('\n');
  const uidLine = lines.findIndex((l) => l.startsWith('Uid:')) + 1;
  const bad = procFixture('server-status').replace(/^Uid:.*$/m, 'Uid:\tx\t0');
  assert.throws(() => parsePidStatus(bad, 'f'), (e: unknown) => e instanceof ParseError && e.line === uidLine);
});

test('readPidStatus reads the fixture tree and the live host', () => {
  assert.equal(readPidStatus(procTree, loadProcCapture().nobody.pid).uid, 65534);
  assert.equal(readPidStatus('/', process.pid).uid, process.getuid?.());
});
