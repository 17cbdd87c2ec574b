import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePidCmdline, readPidCmdline } from './pid-cmdline.js';
import { procFixture } from '../testing/proc-capture.js';

test('splits a real NUL-separated cmdline', () => {
  const { argv, joined } = parsePidCmdline(procFixture('server-cmdline'));
  assert.equal(argv.length, 4);
  assert.equal(argv[0], '/usr/bin/python3');
  assert.match(argv[1], /scripts\/fixtures\/proc-holder\.py$/);
  assert.deepEqual(argv.slice(2), ['server', '9000']);
  assert.equal(joined, argv.join(' '));
});

test('kernel threads and zombies have an empty cmdline', () => {
  assert.deepEqual(parsePidCmdline(procFixture('kthreadd-cmdline')), { argv: [], joined: '' });
  assert.deepEqual(parsePidCmdline(procFixture('zombie-cmdline')), { argv: [], joined: '' });
});

test('a rewritten title without NULs stays one argument; empty arguments are kept', () => {
  assert.deepEqual(parsePidCmdline('nginx: worker process').argv, ['nginx: worker process']);
  assert.deepEqual(parsePidCmdline('a\0\0b\0').argv, ['a', '', 'b']);
});

test('arguments are decoded as UTF-8', () => {
  const latin1 = Buffer.from('prog\0naïve\0', 'utf8').toString('latin1');
  assert.deepEqual(parsePidCmdline(latin1).argv, ['prog', 'naïve']);
});

test('readPidCmdline of this process starts with its original argv[0]', () => {
  // process.argv0 keeps argv[0] as exec'd, which is what the kernel shows first.
  assert.equal(readPidCmdline('/', process.pid).argv[0], process.argv0);
});
