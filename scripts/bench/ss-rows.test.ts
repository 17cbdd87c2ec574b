import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fixture } from '../../src/testing/paths.js';
import { comparable, normalizeEndpoint, parseSockdocJson, parseSs, parseSsLine } from './ss-rows.js';

// Captured with `ss -tanpH` in a namespace running scripts/bench/scene.js (iproute2 6.1, Linux 6.18).
const captured = readFileSync(fixture('bench', 'ss-tanpH.txt'), 'utf8');

test('parses every line of real ss -tanpH output', () => {
  const rows = parseSs(captured);
  assert.equal(rows.length, 44);
  const byState = (s: string) => rows.filter((r) => r.state === s).length;
  assert.deepEqual(
    { LISTEN: byState('LISTEN'), TIME_WAIT: byState('TIME_WAIT'), SYN_SENT: byState('SYN_SENT'), CLOSE_WAIT: byState('CLOSE_WAIT'), FIN_WAIT2: byState('FIN_WAIT2') },
    { LISTEN: 7, TIME_WAIT: 5, SYN_SENT: 2, CLOSE_WAIT: 3, FIN_WAIT2: 3 },
  );
});

test('reads both owners of a shared socket and none for an unaccepted one', () => {
  const rows = parseSs(captured);
  const shared = rows.find((r) => r.local === '127.0.0.1:45576');
  assert.deepEqual(shared?.owners, [
    { name: 'sleep', pid: 11517, fd: 3 },
    { name: 'node', pid: 11504, fd: 19 },
  ]);
  const queued = rows.find((r) => r.state === 'CLOSE_WAIT' && r.remote === '127.0.0.1:35100');
  assert.deepEqual(queued?.owners, []);
  assert.equal(queued?.recvQ, 101); // 100 bytes + the FIN, counted by rcv_nxt - copied_seq
});

test('normalizes ss wildcards and device suffixes', () => {
  assert.equal(normalizeEndpoint('*:6002'), '[::]:6002');
  assert.equal(normalizeEndpoint('*:*'), '[::]:0');
  assert.equal(normalizeEndpoint('0.0.0.0:*'), '0.0.0.0:0');
  assert.equal(normalizeEndpoint('[::]:*'), '[::]:0');
  assert.equal(normalizeEndpoint('127.0.0.1%lo:80'), '127.0.0.1:80');
  assert.equal(normalizeEndpoint('[fe80::1]%eth0:22'), '[fe80::1]:22');
  assert.equal(normalizeEndpoint('[::ffff:127.0.0.1]:6002'), '[::ffff:127.0.0.1]:6002');
});

test('rejects lines it does not understand, quoting them', () => {
  assert.throws(() => parseSsLine('BOGUS 0 0 1.2.3.4:1 1.2.3.4:2'), /unknown ss state "BOGUS"/);
  assert.throws(() => parseSsLine('ESTAB 0 0'), /3 fields/);
  assert.throws(() => normalizeEndpoint('127.0.0.1'), /without a port/);
});

test('sockdoc rows and ss rows compare equal when they describe the same sockets', () => {
  const ss = parseSs('LISTEN 3 2 127.0.0.1:6010 0.0.0.0:* users:(("node",pid=7,fd=19))\nTIME-WAIT 0 0 [::1]:6004 [::1]:43392\n');
  const sockdoc = parseSockdocJson(
    JSON.stringify([
      { state: 'TIME_WAIT', local: '[::1]:6004', remote: '[::1]:43392', recvQ: 0, sendQ: 0, inode: 0, owners: [] },
      // Send-Q of a listener differs (ss: backlog limit; /proc: 0) and is not compared.
      { state: 'LISTEN', local: '127.0.0.1:6010', remote: '0.0.0.0:0', recvQ: 3, sendQ: 0, inode: 5, owners: [{ pid: 7, name: 'node', fd: 19 }] },
    ]),
  );
  assert.deepEqual(comparable(sockdoc), comparable(ss));
  const wrongOwner = parseSockdocJson(JSON.stringify([{ state: 'LISTEN', local: '127.0.0.1:6010', remote: '0.0.0.0:0', recvQ: 3, sendQ: 0, inode: 5, owners: [{ pid: 8, name: 'node', fd: 19 }] }]));
  assert.notDeepEqual(comparable(wrongOwner), comparable(ss.slice(0, 1)));
});
