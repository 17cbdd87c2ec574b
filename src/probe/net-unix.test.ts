import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture } from '../testing/paths.js';
import { ParseError } from './read-file.js';
import { parseProcNetUnix, readUnixSockets } from './net-unix.js';

const tree = fixture('hosts', 'unix-queue-full');
const text = readFileSync(join(tree, 'proc', 'net', 'unix'), 'latin1');

test('/proc/net/unix of the same host: the listeners, their queues counted from the pending connections, no backlogs', () => {
  const all = parseProcNetUnix(text, 'unix', 7);
  const listeners = all.filter((s) => s.state === 'LISTEN');
  assert.deepEqual(
    listeners.map((s) => [s.type, s.name?.replace(/^.*\/run/, '…/run'), s.rqueue, s.wqueue]),
    [
      ['stream', '…/run/php/php-fpm.sock', 65, null],
      ['seqpacket', '@sockdoc-fixture-metrics', 0, null],
    ],
  );
  // The 65 queued server ends (inode 0, St 02) are folded into the queue, not listed as sockets.
  assert.ok(all.every((s) => s.inode !== 0));
  assert.ok(all.every((s) => s.netns === 7 && s.peer === null && s.fileInode === null));
  assert.equal(all.filter((s) => s.state === 'ESTABLISHED').length, 75, '65 clients + 5 accepted + 5 clients');
});

test('the same inodes and listeners as unix_diag gives', () => {
  const viaDiag = readUnixSockets(tree);
  assert.equal(viaDiag.source, 'unix_diag');
  const viaProc = parseProcNetUnix(text);
  assert.deepEqual(viaProc.map((s) => s.inode).sort(), viaDiag.sockets.map((s) => s.inode).sort());
  for (const l of viaDiag.sockets.filter((s) => s.state === 'LISTEN')) {
    assert.equal(viaProc.find((p) => p.inode === l.inode)?.rqueue, l.rqueue, `${l.name}: the counted queue is the one unix_diag reports`);
  }
});

test('a path with spaces, a malformed line skipped and said, a header that is not /proc/net/unix refused', () => {
  const head = 'Num       RefCount Protocol Flags    Type St Inode Path\n';
  const good = '0000000000000000: 00000002 00000000 00010000 0001 01 12345 /run/my app/x.sock\n';
  const bad = '0000000000000000: zz\n';
  const got: ParseError[] = [];
  const s = parseProcNetUnix(head + good + bad, 'u', 0, (e) => got.push(e));
  assert.deepEqual(s.map((x) => [x.name, x.state, x.rqueue]), [['/run/my app/x.sock', 'LISTEN', 0]]);
  // The file is read as latin1 (bytes as they are): a path that is not UTF-8 keeps its bytes.
  const raw = parseProcNetUnix(head + good.replace('/run/my app/x.sock', '/run/a\xff.sock'), 'u', 0);
  assert.equal(raw[0].name, '/run/a\udcff.sock');
  assert.equal(got.length, 1);
  assert.equal(got[0].line, 3);
  assert.throws(() => parseProcNetUnix(head + bad, 'u'), ParseError);
  assert.throws(() => parseProcNetUnix('sl local_address\n', 'u'), /missing header/);
});

test('a capture without sock_diag/unix.bin falls back to proc/net/unix; without either, nothing is read and it says why', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sockdoc-unix-'));
  try {
    mkdirSync(join(dir, 'proc', 'net'), { recursive: true });
    const none = readUnixSockets(dir);
    assert.equal(none.source, null);
    assert.equal(none.reports[0].status, 'absent');
    writeFileSync(join(dir, 'proc', 'net', 'unix'), text);
    const proc = readUnixSockets(dir, { netns: 3 });
    assert.equal(proc.source, 'proc');
    assert.equal(proc.sockets.find((s) => s.state === 'LISTEN')?.rqueue, 65);
    // A broken dump: said, and the text file read instead.
    mkdirSync(join(dir, 'sock_diag'));
    writeFileSync(join(dir, 'sock_diag', 'unix.bin'), Buffer.from([1, 2, 3]));
    const broken = readUnixSockets(dir);
    assert.equal(broken.source, 'proc');
    assert.equal(broken.reports[0].status, 'failed');
    assert.match(broken.reports[0].detail ?? '', /trailing bytes/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
