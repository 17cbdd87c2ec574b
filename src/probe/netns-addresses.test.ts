import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fixture } from '../testing/paths.js';
import { parseFibTrie, parseIfInet6 } from './netns-addresses.js';

test('fib_trie of a real docker container: its own address and loopback, not the network or broadcast', () => {
  assert.deepEqual(parseFibTrie(readFileSync(fixture('nat', 'container-fib_trie'), 'utf8')).sort(), ['127.0.0.1', '172.17.0.2']);
});

test('if_inet6 (this host): printable IPv6 addresses', () => {
  const a = parseIfInet6(readFileSync(fixture('nat', 'host-if_inet6'), 'utf8'));
  assert.ok(a.includes('::1'), a.join(' '));
  assert.deepEqual(parseIfInet6('fd000000000000000000000000000002 04 40 00 82     eth0\n'), ['fd00::2']);
});
