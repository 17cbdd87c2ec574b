import { test } from 'node:test';
import assert from 'node:assert/strict';
import { releaseHungUpTerminals, terminalsNow } from './hung-up-terminal.js';

test('only the fds that were terminals at start and are none now are closed', () => {
  const wasTty = terminalsNow((fd) => fd !== 2); // stdin, stdout a terminal; stderr a file
  assert.deepEqual(wasTty, [true, true, false]);
  const closed: number[] = [];
  // stdin hung up (isatty fails), stdout still a live terminal, stderr never was one.
  const got = releaseHungUpTerminals(wasTty, (fd) => fd === 1, (fd) => void closed.push(fd));
  assert.deepEqual(got, [0]);
  assert.deepEqual(closed, [0]);
});

test('a live terminal keeps its fds (Node restores its modes); a close that fails is not fatal', () => {
  assert.deepEqual(releaseHungUpTerminals([true, true, true], () => true, () => assert.fail('closed a live terminal')), []);
  assert.deepEqual(
    releaseHungUpTerminals([true, false, false], () => false, () => {
      throw Object.assign(new Error('EBADF'), { code: 'EBADF' });
    }),
    [],
  );
});
