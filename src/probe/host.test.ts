import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOneLine, readHost } from './host.js';
import { ParseError } from './read-file.js';
import { fixture } from '../testing/paths.js';

test('hostname and kernel release of the captured host', () => {
  const h = readHost(fixture('net', 'busy'));
  assert.equal(h.hostname, 'vm');
  assert.equal(h.kernel, '6.18.44-fc-v669');
  assert.deepEqual(h.reports.map((r) => r.status), ['ok', 'ok']);
});

test('absent files give null and say so', () => {
  const h = readHost(fixture('net', 'no-ipv6'));
  assert.equal(h.hostname, null);
  assert.equal(h.kernel, null);
  assert.deepEqual(h.reports.map((r) => r.status), ['absent', 'absent']);
});

test('an empty file is a ParseError', () => {
  assert.equal(parseOneLine('web-1\n'), 'web-1');
  assert.throws(() => parseOneLine('\n', 'h'), (e: unknown) => e instanceof ParseError && e.file === 'h' && e.line === 1);
});
