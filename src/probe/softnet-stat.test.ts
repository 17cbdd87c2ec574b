import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseSoftnetStat, readSoftnetStat } from './softnet-stat.js';
import { ParseError } from './read-file.js';
import { fixture } from '../testing/paths.js';

test('the softnet_stat of this machine: 15 columns, the CPU index in the 13th', () => {
  const cpus = parseSoftnetStat(readFileSync(fixture('pressure', 'softnet_stat-idle'), 'latin1'));
  assert.deepEqual(cpus.map((c) => [c.cpu, c.processed, c.dropped]), [[0, 0x12df, 0], [1, 0x4a20, 0]]);
});

test('an older kernel without the cpu column: rows are numbered', () => {
  const cpus = parseSoftnetStat('0000ffff 00000010 00000003 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000\n00000001 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000\n');
  assert.deepEqual(cpus.map((c) => [c.cpu, c.dropped, c.timeSqueeze]), [[0, 16, 3], [1, 0, 0]]);
});

test('damaged rows fail with file and line', () => {
  assert.throws(() => parseSoftnetStat('00000001 00000002\n', 'x'), (e: unknown) => e instanceof ParseError && /2 fields/.test(e.reason));
  assert.throws(() => parseSoftnetStat('00000001 00000002 00000000\n0000000g 0 0\n', 'x'), (e: unknown) => e instanceof ParseError && e.line === 2);
});

test('the live host', () => {
  const r = readSoftnetStat('/');
  assert.equal(r.report.status, 'ok');
  assert.ok((r.value?.length ?? 0) >= 1);
});
