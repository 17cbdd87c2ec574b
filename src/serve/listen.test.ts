import test from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LISTEN, formatListen, isLoopback, ListenError, parseListen } from './listen.js';

test('--listen takes IPv4, bracketed IPv6, localhost and ":PORT"', () => {
  assert.deepEqual(parseListen(DEFAULT_LISTEN), { host: '127.0.0.1', port: 9659 });
  assert.deepEqual(parseListen('[::1]:9659'), { host: '::1', port: 9659 });
  assert.deepEqual(parseListen('localhost:80'), { host: 'localhost', port: 80 });
  assert.deepEqual(parseListen(':9659'), { host: '0.0.0.0', port: 9659 });
  assert.deepEqual(parseListen('[::]:0'), { host: '::', port: 0 });
});

test('a bad --listen is refused with the value quoted', () => {
  for (const bad of ['9659', 'nope', '127.0.0.1', '127.0.0.1:', '127.0.0.1:70000', '::1:9659', '[127.0.0.1]:9659', '300.1.1.1:80', 'example.com:80', '[::1]9659', '127.0.0.1:80 ', '127.0.0.1:-1']) {
    assert.throws(() => parseListen(bad), (err: unknown) => err instanceof ListenError && err.message.includes(`'${bad}'`), bad);
  }
});

test('loopback addresses are told apart from the rest', () => {
  assert.equal(isLoopback(parseListen('127.0.0.1:1')), true);
  assert.equal(isLoopback(parseListen('127.8.0.1:1')), true);
  assert.equal(isLoopback(parseListen('[::1]:1')), true);
  assert.equal(isLoopback(parseListen(':1')), false);
  assert.equal(isLoopback(parseListen('[::]:1')), false);
  assert.equal(formatListen({ host: '::1', port: 5 }), '[::1]:5');
  assert.equal(formatListen({ host: '10.0.0.1', port: 5 }), '10.0.0.1:5');
});
