import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIPv6Bytes, parseIPv4Text, parseIPv6Text, procAddressReader, procIPv4At, procIPv6At } from './inet-address.js';

test('IPv4 words of /proc/net/tcp are native integers (x86: 0100007F = 127.0.0.1)', () => {
  assert.equal(procIPv4At('0100007F', 0), '127.0.0.1');
  assert.equal(procIPv4At('00000000', 0), '0.0.0.0');
  assert.equal(procIPv4At('x0100007FZ', 1), '127.0.0.1');
  assert.equal(procIPv4At('0100G07F', 0), null);
});

test('IPv6 words of /proc/net/tcp6 are four native integers, printed per RFC 5952', () => {
  const cases: Array<[string, string]> = [
    ['00000000000000000000000000000000', '::'],
    ['00000000000000000000000001000000', '::1'],
    ['000080FE000000000000000001000000', 'fe80::1'],
    ['0000000000000000FFFF00000100007F', '::ffff:127.0.0.1'],
    ['B80D0120000000000000000001000000', '2001:db8::1'],
  ];
  for (const [hex, text] of cases) assert.equal(procIPv6At(hex, 0), text, hex);
  assert.equal(procIPv6At('0000000000000000FFFF0000010000ZZ', 0), null);
});

test('RFC 5952: longest zero run compressed, first on a tie, a single zero group kept', () => {
  const round = (t: string) => formatIPv6Bytes(parseIPv6Text(t) as number[], 0);
  assert.equal(round('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  assert.equal(round('1:0:0:2:0:0:0:3'), '1:0:0:2::3');
  assert.equal(round('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1');
  assert.equal(round('2001:DB8::0001'), '2001:db8::1');
  assert.equal(round('1::'), '1::');
  assert.equal(round('::ffff:10.1.2.3'), '::ffff:10.1.2.3');
  // glibc inet_ntop prints deprecated IPv4-compatible addresses dotted; RFC 5952 text is hex
  assert.equal(round('::127.0.0.1'), '::7f00:1');
});

test('address text that is not an address is rejected', () => {
  for (const bad of ['1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', 'fe80:::1', '::ffff:1.2.3', ':']) {
    assert.equal(parseIPv6Text(bad), null, bad);
  }
  assert.equal(parseIPv4Text('256.0.0.1'), null);
  assert.equal(parseIPv4Text('1.2.3'), null);
  assert.deepEqual(parseIPv4Text('10.0.0.255'), [10, 0, 0, 255]);
});

test('the caching reader returns the same text as the plain formatters, hits and misses alike', () => {
  const r4 = procAddressReader(4);
  const r6 = procAddressReader(6);
  for (let i = 0; i < 2; i++) {
    assert.equal(r4('0100007F', 0), '127.0.0.1');
    assert.equal(r6('0000000000000000FFFF00000100007F', 0), '::ffff:127.0.0.1');
    assert.equal(r4('0100007G', 0), null);
    assert.equal(r6('0000000000000000FFFF0000010000XX', 0), null);
  }
});
