import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parseNetstat, readCounters } from './netstat.js';
import { ParseError } from './read-file.js';
import { fixture } from '../testing/paths.js';

const busy = fixture('net', 'busy');
const broken = fixture('net', 'broken');

test('netstat of the busy namespace: every dropped handshake counted as ListenOverflows and ListenDrops', () => {
  const v = parseNetstat(readFileSync(join(busy, 'proc/net/netstat'), 'latin1'));
  assert.equal(v['TcpExt.ListenOverflows'], 211);
  assert.equal(v['TcpExt.ListenDrops'], 211);
  assert.equal(v['TcpExt.TCPReqQFullDrop'], 0);
  assert.equal(v['TcpExt.SyncookiesSent'], 0);
  assert.equal(v['TcpExt.TCPSynRetrans'], 141);
  assert.ok('IpExt.InOctets' in v && 'MPTcpExt.MPCapableSYNRX' in v);
});

test('snmp of the busy namespace: the same parser, negative values allowed (Tcp.MaxConn = -1)', () => {
  const v = parseNetstat(readFileSync(join(busy, 'proc/net/snmp'), 'latin1'), 'proc/net/snmp');
  assert.equal(v['Tcp.CurrEstab'], 335);
  assert.equal(v['Tcp.MaxConn'], -1);
  assert.equal(v['Tcp.PassiveOpens'], 134);
  assert.equal(v['Ip.DefaultTTL'], 64);
  assert.equal(v['UdpLite.MemErrors'], 0);
});

test('readCounters merges both files; the counter keeps counting after the clients died', () => {
  const { values, reports } = readCounters(fixture('net', 'clients-gone'));
  assert.deepEqual(reports.map((r) => [r.probe, r.status]), [
    ['netstat', 'ok'],
    ['netstat', 'ok'],
  ]);
  assert.equal(values['TcpExt.ListenOverflows'], 561);
  assert.equal(values['Tcp.CurrEstab'], 135);
});

test('a values line one short is a ParseError on line 2 of the file', () => {
  const file = join(broken, 'proc/net/netstat');
  assert.throws(
    () => parseNetstat(readFileSync(file, 'latin1'), file),
    (e: unknown) => e instanceof ParseError && e.file === file && e.line === 2 && /135 names but 134 values/.test(e.reason),
  );
});

test('a names line followed by another prefix is a ParseError on that line', () => {
  const file = join(broken, 'proc/net/snmp');
  assert.throws(
    () => parseNetstat(readFileSync(file, 'latin1'), file),
    (e: unknown) => e instanceof ParseError && e.line === 8 && /expected the values line/.test(e.reason),
  );
});

test('other malformed pairs: no values line, no prefix, a value that is not an integer', () => {
  const lineOf = (text: string) => {
    try {
      parseNetstat(text);
    } catch (e) {
      assert.ok(e instanceof ParseError);
      return `${e.line}: ${e.reason}`;
    }
    assert.fail('no ParseError');
  };
  assert.match(lineOf('Tcp: A B\n'), /^1: a names line without its values line/);
  assert.match(lineOf('Tcp A B\nTcp 1 2\n'), /^1: expected "Prefix: Name/);
  assert.match(lineOf('Tcp: A B\nTcp: 1 x\n'), /^2: value 2 is not an integer$/);
  assert.deepEqual(parseNetstat(''), {});
});

test('readCounters: broken files fail with file and line, missing files are absent', () => {
  const bad = readCounters(broken);
  assert.deepEqual(bad.values, {});
  assert.deepEqual(bad.reports.map((r) => r.status), ['failed', 'failed']);
  assert.match(bad.reports[0].detail ?? '', /netstat:2:/);
  const none = readCounters(fixture('net', 'no-ipv6'));
  assert.deepEqual(none.reports.map((r) => r.status), ['absent', 'absent']);
});
