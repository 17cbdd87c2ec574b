import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError } from './read-file.js';
import { parsePidStat, readPidStat } from './pid-stat.js';
import { loadProcCapture, procFixture, procTree } from '../testing/proc-capture.js';

const c = loadProcCapture();

test('parses a real stat line', () => {
  const s = parsePidStat(procFixture('server-stat'));
  assert.equal(s.pid, c.server.pid);
  assert.equal(s.name, 'python3');
  assert.equal(s.state, 'S');
  assert.ok(Number.isInteger(s.ppid) && s.ppid > 1);
  assert.ok(s.starttime > 0);
});

test('comm with spaces and parentheses is cut at the last ")"', () => {
  const text = procFixture('comm-stat');
  const s = parsePidStat(text);
  assert.equal(s.name, 'srv) (x y) z');
  assert.equal(s.state, 'S');
  // Fields after comm are where a first-")" parser would not find them.
  assert.equal(s.ppid, Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]));
});

test('a comm holding a newline still parses (prctl(PR_SET_NAME) accepts any byte)', () => {
  const text = procFixture('comm-stat').replace('srv) (x y) z', 'a\nb) c');
  assert.equal(parsePidStat(text).name, 'a\nb) c');
});

test('comm bytes are decoded as UTF-8', () => {
  const latin1 = Buffer.from('ünï', 'utf8').toString('latin1');
  assert.equal(parsePidStat(procFixture('comm-stat').replace('srv) (x y) z', latin1)).name, 'ünï');
});

test('kernel threads and zombies', () => {
  const kthreadd = parsePidStat(procFixture('kthreadd-stat'));
  assert.deepEqual([kthreadd.pid, kthreadd.name, kthreadd.ppid], [2, 'kthreadd', 0]);
  assert.equal(parsePidStat(procFixture('kworker-stat')).ppid, 2);
  const zombie = parsePidStat(procFixture('zombie-stat'));
  assert.equal(zombie.pid, c.zombie);
  assert.equal(zombie.state, 'Z');
});

test('a truncated stat is a ParseError on line 1', () => {
  assert.throws(
    () => parsePidStat(procFixture('broken-stat-truncated'), 'x/stat'),
    (err: unknown) => err instanceof ParseError && err.file === 'x/stat' && err.line === 1 && /truncated/.test(err.reason),
  );
});

test('text without "pid (comm)" is a ParseError', () => {
  for (const text of ['', 'garbage', '12 python3 S 1', 'x (a) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20']) {
    assert.throws(() => parsePidStat(text), ParseError, JSON.stringify(text));
  }
});

test('readPidStat reads a fixture tree and the live host', () => {
  assert.equal(readPidStat(procTree, c.comm.pid).name, 'srv) (x y) z');
  const self = readPidStat('/', process.pid);
  assert.equal(self.pid, process.pid);
  assert.equal(self.ppid, process.ppid);
});

test('readPidStat of a missing pid throws the errno error', () => {
  assert.throws(() => readPidStat(procTree, 999999999), { code: 'ENOENT' });
});

test('PF_KTHREAD in field 9 marks a kernel thread (kthreadd as Linux 6.18 printed it); a program has it clear', () => {
  const kthreadd = '2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 4 0 0 20 0 1 0 11 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0';
  assert.equal(parsePidStat(kthreadd).kthread, true);
  assert.equal(parsePidStat(procFixture('server-stat')).kthread, false);
  // The flag is bit 21 of an unsigned int: a value past 2^31 with it set is still a kernel thread.
  assert.equal(parsePidStat(kthreadd.replace(' 2129984 ', ` ${2 ** 31 + 0x200000} `)).kthread, true);
  assert.equal(parsePidStat(kthreadd.replace(' 2129984 ', ` ${2 ** 31 + 0x100000} `)).kthread, false);
});

test('a comm byte that is not UTF-8 is kept (U+DC80+byte), so two such names never read as one', () => {
  const name = (bytes: string) => parsePidStat(procFixture('comm-stat').replace('srv) (x y) z', bytes)).name;
  assert.equal(name('ev\xff'), 'ev\udcff');
  assert.notEqual(name('ev\xff'), name('ev\xfe'));
});
