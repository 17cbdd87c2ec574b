import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError } from './read-file.js';
import { nofile, parsePidLimits, readPidLimits } from './pid-limits.js';
import { procFixture, procTree, loadProcCapture } from '../testing/proc-capture.js';

test('parses every row of a real limits file (process under prlimit --nofile=100:200)', () => {
  const rows = parsePidLimits(procFixture('server-limits'));
  assert.equal(rows.length, 16); // RLIM_NLIMITS
  assert.deepEqual(rows[0], { name: 'Max cpu time', soft: 'unlimited', hard: 'unlimited', units: 'seconds' });
  assert.deepEqual(rows.find((r) => r.name === 'Max stack size'), { name: 'Max stack size', soft: 8388608, hard: 'unlimited', units: 'bytes' });
  assert.deepEqual(rows.find((r) => r.name === 'Max nice priority'), { name: 'Max nice priority', soft: 0, hard: 0, units: '' });
  assert.equal(rows[15].units, 'us');
  assert.deepEqual(nofile(rows), { soft: 100, hard: 200 });
});

test('a file without the "Max open files" row parses; nofile is null', () => {
  const rows = parsePidLimits(procFixture('broken-limits-no-nofile'));
  assert.equal(rows.length, 15);
  assert.equal(nofile(rows), null);
});

test('a value that is neither a number nor "unlimited" is a ParseError on its line', () => {
  assert.throws(
    () => parsePidLimits(procFixture('broken-limits-bad-value'), 'x/limits'),
    (e: unknown) => e instanceof ParseError && e.file === 'x/limits' && e.line === 9 && /neither a number the kernel can hold nor "unlimited"/.test(e.reason) && !e.reason.includes("1O0"),
  );
});

test('a row cut short is a ParseError on its line', () => {
  assert.throws(
    () => parsePidLimits(procFixture('broken-limits-short-row')),
    (e: unknown) => e instanceof ParseError && e.line === 4 && /shorter/.test(e.reason),
  );
});

test('an empty file or a missing header is a ParseError on line 1', () => {
  for (const text of ['', 'Max open files            100                  200                  files     \n']) {
    assert.throws(() => parsePidLimits(text), (e: unknown) => e instanceof ParseError && e.line === 1);
  }
});

test('a row with more than soft, hard and units is a ParseError', () => {
  const text = procFixture('server-limits').replace('Max open files            100 ', 'Max open files            100 7 ');
  assert.throws(() => parsePidLimits(text), (e: unknown) => e instanceof ParseError && e.line === 9);
});

test('readPidLimits reads the fixture tree and the live host', () => {
  assert.deepEqual(nofile(readPidLimits(procTree, loadProcCapture().server.pid)), { soft: 100, hard: 200 });
  const live = nofile(readPidLimits('/', process.pid));
  assert.ok(live && typeof live.soft === 'number' && typeof live.hard === 'number');
});
