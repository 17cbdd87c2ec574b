import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hostBytes, hostText } from './host-bytes.js';
import { shellQuote } from './shell-quote.js';
import { labelSafe } from './label-value.js';

test('valid UTF-8 is decoded as it is; each byte of an invalid sequence is kept as U+DC80+byte', () => {
  assert.equal(hostText(Buffer.from('/run/php/fpm.sock')), '/run/php/fpm.sock');
  assert.equal(hostText(Buffer.from('/tmp/日本語\ufffd')), '/tmp/日本語\ufffd'); // a real U+FFFD stays one
  assert.equal(hostText(Buffer.from([0x2f, 0x61, 0xff, 0xc3])), '/a\udcff\udcc3');
  assert.equal(hostText(Buffer.from([0xed, 0xa0, 0x80])), '\udced\udca0\udc80'); // an encoded surrogate is not UTF-8
  assert.equal(hostText(Buffer.from([0x78, 0x2f, 0x79]), 1, 2), '/');
});

test('property: any bytes round-trip through hostText and hostBytes', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => hostBytes(hostText(Buffer.from(b))).equals(Buffer.from(b))), { numRuns: 3000 });
});

test('the shell quote writes a kept byte back as that byte; the label escape shows it as \\xNN', () => {
  const path = hostText(Buffer.from('/run/a\xff b.sock', 'latin1'));
  assert.equal(shellQuote(path), "$'/run/a\\xff b.sock'");
  assert.equal(labelSafe(path), '/run/a\\xff b.sock');
  assert.notEqual(labelSafe(hostText(Buffer.from('/run/a\xfe b.sock', 'latin1'))), labelSafe(path));
  assert.equal(labelSafe('/run/a\\xff b.sock'), '/run/a\\\\xff b.sock'); // the literal text reads apart
});
