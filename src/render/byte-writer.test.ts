import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteWriter, digitCount, textPiece } from './byte-writer.js';

const NUMBERS = [0, 1, 9, 10, 99, 100, 12345, 65535, 99999, 100000, 999999, 1000000, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 4026531840, 123456789012, Number.MAX_SAFE_INTEGER];

test('numbers are written as String(n) writes them, small and past 2^31', () => {
  const w = new ByteWriter(4); // smaller than what is written: grows
  for (const n of NUMBERS) {
    w.uint(n);
    w.byte(0x20);
  }
  assert.equal(w.take().toString('utf8'), NUMBERS.map(String).join(' ') + ' ');
  for (const n of NUMBERS) assert.equal(digitCount(n), String(n).length, String(n));
});

test('text pieces: UTF-8 bytes and the string length a column width counts; spaces, rewind, take', () => {
  const name = textPiece('naïve\\x1b'); // what terminalSafe makes of a hostile name: still non-ASCII
  assert.equal(name.length, 9);
  assert.equal(name.bytes.length, 10);
  const w = new ByteWriter(8);
  w.bytes(name.bytes);
  w.spaces(3);
  const mark = w.pos;
  w.bytes(Buffer.from('x'.repeat(40)));
  assert.equal(w.textFrom(mark), 'x'.repeat(40));
  w.rewind(mark);
  w.byte(0x21);
  const first = w.take();
  assert.equal(first.toString('utf8'), 'naïve\\x1b   !');
  w.uint(7);
  assert.equal(w.take().toString('utf8'), '7');
  assert.equal(first.toString('utf8'), 'naïve\\x1b   !', 'a piece taken is not written over by the next');
});
