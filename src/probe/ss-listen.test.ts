import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parseSsListen } from './ss-listen.js';
import { ParseError } from './read-file.js';
import { fixture } from '../testing/paths.js';

test('ss -ltnHe of the busy namespace: Send-Q is the limit, "*" is the dual-stack ::', () => {
  const rows = parseSsListen(readFileSync(join(fixture('net', 'busy'), 'sock_diag/ss-ltnHe.txt'), 'utf8'));
  assert.deepEqual(
    rows.map((r) => [r.family, r.address, r.port, r.recvQ, r.sendQ, r.inode]),
    [
      [4, '0.0.0.0', 8084, 0, 32, 344027],
      [4, '127.0.0.1', 8080, 129, 128, 344023],
      // "*:8082" (v6only:0): both readings are kept, the inode makes only the right one match
      [6, '::', 8082, 0, 64, 344025],
      [4, '0.0.0.0', 8082, 0, 64, 344025],
      [6, '::', 8083, 0, 10, 344026], // "[::]:8083" is IPV6_V6ONLY
      [6, '::1', 8081, 0, 128, 344024],
    ],
  );
});

test('addresses bound to a device, v4-mapped and long IPv6 forms', () => {
  const rows = parseSsListen(
    [
      'LISTEN 0      4096   127.0.0.53%lo:53        0.0.0.0:*    ino:11 sk:1 cgroup:/system.slice/systemd-resolved.service <->',
      'LISTEN 0      128    [fe80::1]%eth0:22          [::]:*    ino:12 sk:2 v6only:1 <->',
      'LISTEN 3      50     [::ffff:127.0.0.1]:8080    *:*    uid:1000 ino:13 sk:3 v6only:0 <->',
      'LISTEN 0      511    [2001:db8:0:0:1:0:0:1]:443  [::]:*    ino:14 sk:4 v6only:1 <->',
      '',
    ].join('\n'),
  );
  assert.deepEqual(
    rows.map((r) => `${r.family}|${r.address}|${r.port}|${r.recvQ}|${r.sendQ}|${r.inode}`),
    ['4|127.0.0.53|53|0|4096|11', '6|fe80::1|22|0|128|12', '6|::ffff:127.0.0.1|8080|3|50|13', '6|2001:db8::1:0:0:1|443|0|511|14'],
  );
});

test('ss run without -e (no inode) is a ParseError on line 1', () => {
  const file = join(fixture('net', 'broken'), 'sock_diag/ss-ltnHe.txt');
  assert.throws(
    () => parseSsListen(readFileSync(file, 'utf8'), file),
    (e: unknown) => e instanceof ParseError && e.file === file && e.line === 1 && /no "ino:N" field/.test(e.reason),
  );
});

test('other malformed lines', () => {
  const reason = (text: string) => {
    try {
      parseSsListen(text);
    } catch (e) {
      assert.ok(e instanceof ParseError);
      return e.reason;
    }
    assert.fail('no ParseError');
  };
  assert.match(reason('ESTAB 0 0 127.0.0.1:1 127.0.0.1:2 ino:1\n'), /expected a LISTEN socket/);
  assert.match(reason('LISTEN x 128 127.0.0.1:80 0.0.0.0:* ino:1\n'), /not 32-bit numbers/);
  assert.match(reason('LISTEN 0 128 127.0.0.1 0.0.0.0:* ino:1\n'), /no port/);
  assert.match(reason('LISTEN 0 128 [fe80:::1]:80 [::]:* ino:1\n'), /unparsable local address/);
});
