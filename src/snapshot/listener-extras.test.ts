import test from 'node:test';
import assert from 'node:assert/strict';
import { listenerExtrasNotes, notCaptured, unknownWhy } from './listener-extras.js';
import { SocketTable, emptyColumn } from './socket-table.js';
import { listener } from '../testing/snapshot-builder.js';
import { TCP_TABLE_PLAIN } from '../probe/native.js';

const procTable = SocketTable.empty();
const diagTable = SocketTable.empty().withColumns({ drops: emptyColumn(0), waitedMs: emptyColumn(0) });

test('unknown drops and waits are said once, with where the sockets came from; nothing without listeners', () => {
  const unknown = [listener({ port: 80, drops: null })];
  assert.deepEqual(listenerExtrasNotes('', procTable, unknown, null, unknownWhy('proc', '/proc/net/tcp')), [
    'Per-listener drops and accept waits are unknown: the sockets were read from /proc/net/tcp, which does not show them (only sock_diag does).',
  ]);
  assert.deepEqual(listenerExtrasNotes('', procTable, [], null, unknownWhy('proc', '/proc/net/tcp')), []);
  // SOCKDOC_NET_SOURCE=proc as root: the listener dump still gave the drops; only the waits are unknown.
  assert.deepEqual(listenerExtrasNotes('netns blue: ', procTable, [listener({ port: 80, drops: 3 })], null, unknownWhy('proc', '/proc/7/net/tcp')), [
    'netns blue: accept waits are unknown: the sockets were read from /proc/7/net/tcp, which does not show them (only sock_diag does).',
  ]);
  // An old kernel: the dump has waits but no drops.
  assert.deepEqual(listenerExtrasNotes('', diagTable, unknown, null, unknownWhy('sock_diag', '')), [
    "Per-listener drops are unknown: this kernel's sock_diag does not report them (SK_MEMINFO_DROPS: Linux 4.7+).",
  ]);
  // The benchmark's "without" (SOCKDOC_LISTENER_EXTRAS=off): not asked, and said so.
  assert.deepEqual(listenerExtrasNotes('', procTable, unknown, null, unknownWhy('sock_diag', '', TCP_TABLE_PLAIN)), [
    'Per-listener drops and accept waits are unknown: not asked (SOCKDOC_LISTENER_EXTRAS=off).',
  ]);
});

test('a partly measured queue is said: the sample, and why the lookups stopped', () => {
  const notes = listenerExtrasNotes('', diagTable, [listener({ port: 80, drops: 0 })], { measured: 16000, gone: 384, skipped: 3616, error: 'recv: No buffer space available' }, unknownWhy('sock_diag', ''));
  assert.deepEqual(notes, [
    'Accept waits were measured for an even sample of 16384 of 20000 waiting connections (the rest cost too much to look up one by one).',
    'Accept waits are partly unknown: the tcp_info lookups stopped (recv: No buffer space available).',
  ]);
});

test('a capture made before drops and waits were recorded: one item for the "not read" note', () => {
  assert.deepEqual(notCaptured(procTable, [listener({ port: 80, drops: null })]), ['listener drops and accept waits (sock_diag)']);
  assert.deepEqual(notCaptured(procTable, [listener({ port: 80, drops: 4 })]), ['accept waits (sock_diag/tcp-waiting.bin)']);
  assert.deepEqual(notCaptured(diagTable, [listener({ port: 80, drops: 4 })]), []);
  assert.deepEqual(notCaptured(procTable, []), []);
});
