import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseSockstat, parseSockstatText, readSockstat } from './sockstat.js';
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
