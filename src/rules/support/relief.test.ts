/** The rules' relief line: only what the pasting shell can apply (prlimit(2) permissions). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { proc } from '../../testing/snapshot-builder.js';
import { reliefLine } from './relief.js';

test('with CAP_SYS_RESOURCE (or unknown, a capture): a raise, capped at fs.nr_open', () => {
  const p = proc({ pid: 7, soft: 1024, hard: 1024 });
  assert.match(reliefLine(p, true, 1048576, 'x'), /^prlimit --pid 7 --nofile=65536:65536 {3}# x; raising the hard limit needs CAP_SYS_RESOURCE$/);
  assert.match(reliefLine(proc({ pid: 7, soft: 1048576, hard: 1048576 }), null, 1048576, 'x'), /^prlimit --pid 7 --nofile=1048576:1048576 .*\(root on most hosts\)$/);
});

test('without it: soft up to hard, as the owner for another user\'s process; a reached hard limit is a comment, never a failing line', () => {
  assert.equal(reliefLine(proc({ pid: 7, soft: 1024, hard: 4096 }), false, null, 'x'), 'prlimit --pid 7 --nofile=4096:4096   # x');
  assert.equal(reliefLine(proc({ pid: 7, uid: 1003, user: 'bob', soft: 1024, hard: 4096 }), false, null, 'x'), 'runuser -u bob -- prlimit --pid 7 --nofile=4096:4096   # x (as its owner: without CAP_SYS_RESOURCE only its own user may change its limits)');
  assert.match(reliefLine(proc({ pid: 7, uid: 1003, user: null, soft: 1024, hard: 4096 }), false, null, 'x'), /^setpriv --reuid=1003 --regid=1003 --clear-groups -- prlimit/);
  assert.match(reliefLine(proc({ pid: 7, soft: 64, hard: 64 }), false, null, 'x'), /^# no relief without a restart: pid 7 is at its hard limit 64/);
  assert.match(reliefLine(proc({ pid: 7, uid: 1003, user: "x'; rm -rf / #", soft: 10, hard: 20 }), false, null, 'x'), /^runuser -u 'x'\\''; rm -rf \/ #' -- prlimit/);
});
