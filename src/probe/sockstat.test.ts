import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSockstat, parseSockstatText, readSockstat, readSockstatEmpty, sockstatEmpty } from './sockstat.js';
import { ParseError } from './read-file.js';
import { fixture } from '../testing/paths.js';

test('the sockstat of this machine', () => {
  const text = readFileSync(fixture('pressure', 'sockstat-idle'), 'latin1');
  assert.deepEqual(parseSockstat(text), { tcpInuse: 1, tcpOrphan: 0, tcpTimeWait: 7, tcpAlloc: 8, tcpMemPages: 179 });
  const all = parseSockstatText(text);
  assert.equal(all['sockets.used'], 34);
  assert.equal(all['FRAG.memory'], 0);
});

test('damaged lines fail with file and line', () => {
  assert.throws(() => parseSockstatText('TCP: inuse 1 orphan\n', 'x'), (e: unknown) => e instanceof ParseError && e.line === 1 && /odd number/.test(e.reason));
  assert.throws(() => parseSockstatText('sockets: used 3\nTCP: inuse x\n', 'x'), (e: unknown) => e instanceof ParseError && e.line === 2 && /value 1 is not an integer/.test(e.reason));
  assert.throws(() => parseSockstat('UDP: inuse 1 mem 0\n', 'x'), (e: unknown) => e instanceof ParseError && /no "TCP: ... inuse N"/.test(e.reason));
});

test('the live host', () => {
  const r = readSockstat('/');
  assert.equal(r.report.status, 'ok');
  assert.ok((r.value?.tcpInuse ?? -1) >= 0);
});

test('sockstatEmpty: no socket of any kind, no TCP socket (v4 or v6), none in TIME_WAIT; any doubt is not empty', () => {
  const empty = readFileSync(fixture('pressure', 'sockstat-empty-netns'), 'latin1');
  const empty6 = readFileSync(fixture('pressure', 'sockstat6-empty-netns'), 'latin1');
  assert.equal(sockstatEmpty(empty, empty6), true);
  assert.equal(sockstatEmpty(empty, null), true, 'no sockstat6: no IPv6 in this kernel');
  // One unbound unix socket in the namespace: "sockets: used 1" (captured in a fresh netns).
  assert.equal(sockstatEmpty(readFileSync(fixture('pressure', 'sockstat-netns-one-unix'), 'latin1'), empty6), false);
  // The host's: sockets in use.
  assert.equal(sockstatEmpty(readFileSync(fixture('pressure', 'sockstat-idle'), 'latin1'), empty6), false);
  // A lone TIME_WAIT (not counted in "sockets: used"), a kernel TCP socket (counted in inuse only), an IPv6 one.
  assert.equal(sockstatEmpty(empty.replace('tw 0', 'tw 1'), empty6), false);
  assert.equal(sockstatEmpty(empty.replace('TCP: inuse 0', 'TCP: inuse 1'), empty6), false);
  assert.equal(sockstatEmpty(empty, empty6.replace('TCP6: inuse 0', 'TCP6: inuse 2')), false);
  // A kernel before 4.16 prints no per-namespace count, or a file missing its line: not empty.
  assert.equal(sockstatEmpty(empty.replace('sockets: used 0\n', ''), empty6), false);
  assert.equal(sockstatEmpty(empty, 'UDP6: inuse 0\n'), false);
  assert.throws(() => sockstatEmpty('sockets: used x\n', null), ParseError);
});

test('readSockstatEmpty: through a netns directory of a tree; unreadable or damaged is not empty', () => {
  const root = mkdtempSync(join(tmpdir(), 'sockdoc-sockstat-'));
  try {
    mkdirSync(join(root, 'a', 'net'), { recursive: true });
    writeFileSync(join(root, 'a', 'net', 'sockstat'), readFileSync(fixture('pressure', 'sockstat-empty-netns')));
    assert.equal(readSockstatEmpty(root, 'a/net'), true, 'no sockstat6 file: no IPv6');
    writeFileSync(join(root, 'a', 'net', 'sockstat6'), 'TCP6: inuse 1\n');
    assert.equal(readSockstatEmpty(root, 'a/net'), false);
    assert.equal(readSockstatEmpty(root, 'b/net'), false, 'not captured');
    mkdirSync(join(root, 'c', 'net'), { recursive: true });
    writeFileSync(join(root, 'c', 'net', 'sockstat'), 'sockets: used\n');
    assert.equal(readSockstatEmpty(root, 'c/net'), false, 'damaged');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
