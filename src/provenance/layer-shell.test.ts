import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findUlimit } from './layer-shell.js';

test('findUlimit finds ulimit -n statements in their usual spellings', () => {
  assert.deepEqual(findUlimit('ulimit -n 300; sleep 60; true'), { statement: 'ulimit -n 300', line: 1 });
  assert.deepEqual(findUlimit('#!/bin/sh\n# ulimit -n 1 (commented out)\nulimit -Sn 4096\n'), { statement: 'ulimit -Sn 4096', line: 3 });
  assert.equal(findUlimit('ulimit -S -n unlimited && exec x')?.statement, 'ulimit -S -n unlimited');
  assert.equal(findUlimit('ulimit -c unlimited\n'), null, 'core size is not nofile');
  assert.equal(findUlimit('echo hello'), null);
});

test('findUlimit keeps nothing of the command line after the value (it becomes a metric label)', () => {
  assert.equal(findUlimit('ulimit -n 400;SECRET=hunter2 ./run')?.statement, 'ulimit -n 400');
  assert.equal(findUlimit('ulimit -n 400&&TOKEN=abc ./run')?.statement, 'ulimit -n 400');
  assert.equal(findUlimit('ulimit -n $N;PASS=x y')?.statement, 'ulimit -n $N');
  assert.equal(findUlimit('ulimit -n 400x;PASS=x'), null);
});
