import test from 'node:test';
import assert from 'node:assert/strict';
import { dropsReadingOf, setDropsDelta } from './listener-drops.js';
import { listener } from '../testing/snapshot-builder.js';

test('a listener drops against an earlier reading of the same socket: now vs history', () => {
  const before = [listener({ port: 80, inode: 1, drops: 10 }), listener({ port: 81, inode: 2, drops: 5 }), listener({ port: 82, inode: 3, drops: null })];
  const reading = dropsReadingOf(before, [{ inode: 0, socketSource: 'sock_diag' }, { inode: 7, socketSource: 'proc' }]);
  const now = [
    listener({ port: 80, inode: 1, drops: 25 }), // +15
    listener({ port: 81, inode: 2, drops: 5 }), // history only
    listener({ port: 82, inode: 3, drops: 4 }), // unknown before: a new socket of a namespace read (all 4 new)
    listener({ port: 83, inode: 9, drops: 2 }), // opened since
    listener({ port: 84, inode: 4, drops: null }), // unknown now
    listener({ port: 85, inode: 5, drops: 3, netns: 7 }), // its namespace was not in the reading
  ];
  setDropsDelta(now, reading);
  assert.deepEqual(now.map((l) => l.dropsDelta), [15, 0, 4, 2, null, null]);
  setDropsDelta(now, null);
  assert.deepEqual(now.map((l) => l.dropsDelta), [null, null, null, null, null, null]);
  // The same socket with fewer drops cannot be: not a delta.
  const wrapped = [listener({ port: 80, inode: 1, drops: 3 })];
  setDropsDelta(wrapped, reading);
  assert.equal(wrapped[0].dropsDelta, null);
});
