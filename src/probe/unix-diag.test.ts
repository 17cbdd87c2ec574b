import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fixture } from '../testing/paths.js';
import { ParseError } from './read-file.js';
import { parseUnixDiag, unixName } from './unix-diag.js';

// A real unix_diag dump (scripts/fixtures/make-unix-hosts.sh): a listen(511) stream socket clamped
// to somaxconn 64 with 65 connections queued, an abstract seqpacket listener with 5 accepted ones.
const bin = readFileSync(fixture('hosts', 'unix-queue-full', 'sock_diag', 'unix.bin'));

test('a real dump: listeners with queue, backlog, file inode and the queued clients', () => {
  const all = parseUnixDiag(bin, 'unix.bin', 42);
  const listeners = all.filter((s) => s.state === 'LISTEN');
  assert.equal(listeners.length, 2);
  const [fpm, metrics] = listeners;
  assert.match(fpm.name ?? '', /\/run\/php\/php-fpm\.sock$/);
  assert.deepEqual([fpm.type, fpm.rqueue, fpm.wqueue, fpm.netns], ['stream', 65, 64, 42]);
  assert.ok((fpm.fileInode ?? 0) > 0, 'a path socket has its file inode');
  assert.equal(fpm.queued?.length, 65, 'one client inode per queued connection');
  // Each queued client is a socket of the dump, connected (its peer has no inode yet: 0).
  const clients = new Set(fpm.queued);
  assert.equal(all.filter((s) => clients.has(s.inode) && s.state === 'ESTABLISHED' && s.peer === 0).length, 65);
  assert.deepEqual([metrics.name, metrics.type, metrics.rqueue, metrics.wqueue, metrics.fileInode], ['@sockdoc-fixture-metrics', 'seqpacket', 0, 64, null]);
  // The accepted ends of the abstract listener carry its name and a peer.
  const accepted = all.filter((s) => s.name === '@sockdoc-fixture-metrics' && s.state === 'ESTABLISHED');
  assert.equal(accepted.length, 5);
  assert.ok(accepted.every((s) => (s.peer ?? 0) > 0));
  assert.ok(all.every((s) => s.inode > 0), 'unix_diag lists no embryo (the queued server ends have no inode)');
});

test('a truncated dump, a missing NLMSG_DONE and a kernel error are ParseErrors naming the message', () => {
  assert.throws(() => parseUnixDiag(bin.subarray(0, bin.length - 20), 'cut'), (e: unknown) => e instanceof ParseError && /no NLMSG_DONE|runs past/.test(e.reason));
  const err = Buffer.alloc(36);
  err.writeUInt32LE(36, 0);
  err.writeUInt16LE(2, 4); // NLMSG_ERROR
  err.writeInt32LE(-93, 16); // EPROTONOSUPPORT: no unix_diag module
  assert.throws(() => parseUnixDiag(err, 'e'), (e: unknown) => e instanceof ParseError && /NLMSG_ERROR errno 93/.test(e.reason));
  const wrongFamily = Buffer.from(bin);
  wrongFamily[16] = 2; // AF_INET in the first message
  assert.throws(() => parseUnixDiag(wrongFamily, 'f'), (e: unknown) => e instanceof ParseError && e.line === 1 && /not AF_UNIX/.test(e.reason));
});

test('names: a path up to its NUL, an abstract name with its NULs as @ (as ss and /proc/net/unix show them)', () => {
  assert.equal(unixName(Buffer.from('/run/a.sock\0')), '/run/a.sock');
  assert.equal(unixName(Buffer.from('\0my\0name')), '@my@name');
  assert.equal(unixName(Buffer.from('/tmp/caf\u00e9.sock\0')), '/tmp/café.sock');
  // A name is bytes: one that is not UTF-8 keeps each such byte (U+DC80+byte), so /run/a\xff and /run/a\xfe stay two names.
  assert.equal(unixName(Buffer.from('/run/a\xff.sock\0', 'latin1')), '/run/a\udcff.sock');
  assert.equal(unixName(Buffer.from('\0ab\xfe\0', 'latin1')), '@ab\udcfe@');
  assert.equal(unixName(Buffer.alloc(0)), '');
});
