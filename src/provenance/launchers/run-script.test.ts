/** The run-script reader: the suite's limit tool or `ulimit -n`, found word by word on host text. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findRunLimit } from './run-script.js';

test('findRunLimit: the tool with options before -o, -oN glued, ulimit with combined flags; comments skipped', () => {
  assert.deepEqual(findRunLimit('#!/bin/sh\nexec chpst -u www -o 4096 /usr/bin/app\n', 'chpst'), { statement: 'chpst -u www -o 4096', line: 2, value: 4096 });
  assert.deepEqual(findRunLimit('exec s6-softlimit -o8192 app', 's6-softlimit'), { statement: 's6-softlimit -o8192', line: 1, value: 8192 });
  assert.deepEqual(findRunLimit('cd /srv;ulimit -S -Hn 300; exec app', 'chpst'), { statement: 'ulimit -S -Hn 300', line: 1, value: 300 });
  assert.equal(findRunLimit('# chpst -o 10\nexec app # ulimit -n 5\n', 'chpst'), null);
  assert.equal(findRunLimit('exec /usr/bin/chpst -o 10 app', 'chpst'), null, 'the tool must be a word of its own, as before');
  assert.equal(findRunLimit('exec chpst -u www app', 'chpst'), null);
});

test('findRunLimit reads a 200 KB line of tool words in one pass (a nested-repetition RegExp took seconds)', () => {
  const line = ' chpst -a'.repeat(20_000);
  assert.equal(findRunLimit(line, 'chpst'), null);
  assert.deepEqual(findRunLimit(`${line} x -o 7`, 'chpst')?.value, 7);
});
