import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPair, matchesConfigured, parseLimitValue, resolveInfinity } from './rlimit.js';

test('parseLimitValue takes N, S:H and infinity like systemd rlimit_parse', () => {
  assert.deepEqual(parseLimitValue('4096'), { soft: 4096, hard: 4096 });
  assert.deepEqual(parseLimitValue('1024:524288'), { soft: 1024, hard: 524288 });
  assert.deepEqual(parseLimitValue('infinity'), { soft: 'infinity', hard: 'infinity' });
  assert.deepEqual(parseLimitValue('1024:infinity'), { soft: 1024, hard: 'infinity' });
});

test('parseLimitValue rejects soft above hard, garbage and extra fields', () => {
  for (const bad of ['2048:1024', 'infinity:1024', 'lots', '1:2:3', '', '-1', '10k']) assert.equal(parseLimitValue(bad), null, bad);
});

test('infinity resolves to the manager ceiling (setrlimit_closest)', () => {
  assert.deepEqual(resolveInfinity({ soft: 'infinity', hard: 'infinity' }, 1073741816), { soft: 1073741816, hard: 1073741816 });
  assert.deepEqual(resolveInfinity({ soft: 1024, hard: 4096 }, 2048), { soft: 1024, hard: 2048 });
  assert.ok(matchesConfigured({ soft: 1048576, hard: 1048576 }, { soft: 'infinity', hard: 'infinity' }, [1073741816, 1048576]));
  assert.ok(!matchesConfigured({ soft: 1024, hard: 524288 }, { soft: 65536, hard: 65536 }, [1073741816]));
});

test('formatPair prints one number when soft == hard', () => {
  assert.equal(formatPair({ soft: 300, hard: 300 }), '300');
  assert.equal(formatPair({ soft: 1024, hard: 524288 }), '1024:524288');
  assert.equal(formatPair({ soft: null, hard: 5 }), '?:5');
});
