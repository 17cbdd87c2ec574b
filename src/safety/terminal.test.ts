import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { needsEscape, terminalGuard, terminalSafe } from './terminal.js';

test('escape sequences, newlines, C1 controls and bidi overrides are shown escaped', () => {
  assert.equal(terminalSafe('a\x1b]0;pwned\x07b'), 'a\\x1b]0;pwned\\x07b');
  assert.equal(terminalSafe('row\nsplit\r\t'), 'row\\nsplit\\r\\t');
  assert.equal(terminalSafe('csi\x9b2J'), 'csi\\x9b2J');
  assert.equal(terminalSafe('evil\u202egnp.exe'), 'evil\\u202egnp.exe');
  assert.equal(terminalSafe('iso\u2066late\u2069'), 'iso\\u2066late\\u2069');
  assert.equal(terminalSafe('del\x7f'), 'del\\x7f');
});

test('ordinary text, UTF-8 names and a backslash are untouched (the same string)', () => {
  for (const s of ['nginx: worker process', 'naïve-日本語', 'C:\\path', '[::]:8889']) assert.equal(terminalSafe(s), s);
});

test('property: the result never holds a character a terminal would act on', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => !needsEscape(terminalSafe(s)) && !/[\x00-\x1f\x7f-\x9f]/.test(terminalSafe(s))), { numRuns: 2000 }); // eslint-disable-line no-control-regex
});

test('the guard keeps the report\'s own newlines and SGR colours, escapes everything else', () => {
  const ours = '\x1b[1mbold\x1b[0m\nline two\n';
  assert.equal(terminalGuard(ours), ours);
  assert.equal(terminalGuard('a\x1b[2Jb\n\x1b]0;t\x07\n'), 'a\\x1b[2Jb\n\\x1b]0;t\\x07\n');
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
      const g = terminalGuard(s).replace(/\x1b\[[0-9;]*m|\n/g, ''); // eslint-disable-line no-control-regex
      return !needsEscape(g);
    }),
    { numRuns: 2000 },
  );
});
