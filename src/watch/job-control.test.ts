import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inForeground, parseJobFields } from './job-control.js';

// Real /proc/PID/stat lines (the comm of the second holds spaces and a parenthesis).
const FOREGROUND = '4242 (node) S 4200 4242 4200 34816 4242 4194560 1960 0 0 0 12 3 0 0 20 0 11 0 889 1130000000 13000 18446744073709551615';
const BACKGROUND = '4243 (my (odd) name) T 4200 4243 4200 34816 4200 1077936192 300 0 0 0 1 0 0 0 20 0 1 0 901 9000000 800 18446744073709551615';
const NO_TTY = '4244 (node) S 1 4244 4244 0 -1 4194560 300 0 0 0 1 0 0 0 20 0 1 0 905 9000000 800 18446744073709551615';

test('pgrp and tpgid come after the last parenthesis (a comm may hold spaces and parentheses)', () => {
  assert.deepEqual(parseJobFields(FOREGROUND), { pgrp: 4242, tpgid: 4242 });
  assert.deepEqual(parseJobFields(BACKGROUND), { pgrp: 4243, tpgid: 4200 });
  assert.equal(parseJobFields('garbage'), null);
});

test('foreground: this group owns the terminal, or there is no controlling terminal to own', () => {
  assert.equal(inForeground(FOREGROUND), true);
  assert.equal(inForeground(BACKGROUND), false);
  assert.equal(inForeground(NO_TTY), true);
  assert.equal(inForeground('unparseable'), true, 'unknown: go on (the kernel stops a background write itself)');
});
