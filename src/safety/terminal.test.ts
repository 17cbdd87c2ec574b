import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { needsEscape, shellLineSafe, terminalGuard, terminalSafe } from './terminal.js';
import { hostText } from './host-bytes.js';

test('escape sequences, newlines, C1 controls and bidi overrides are shown escaped', () => {
  assert.equal(terminalSafe('a\x1b]0;pwned\x07b'), 'a\\x1b]0;pwned\\x07b');
  assert.equal(terminalSafe('row\nsplit\r\t'), 'row\\nsplit\\r\\t');
  // A C1 control is a character (UTF-8 C2 9B), shown as \u009b: \x9b is kept for the lone byte 9B.
  assert.equal(terminalSafe('csi\x9b2J'), 'csi\\u009b2J');
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

/** The reading terminalSafe promises: \\ a backslash, \xNN the byte NN, \n \r \t, \uNNNN a character, any other backslash itself. */
function unescapeBytes(shown: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < shown.length; i++) {
    const c = shown[i];
    const next = shown[i + 1];
    if (c === '\\' && next === '\\') (out.push(0x5c), i++);
    else if (c === '\\' && next === 'x' && /^[0-9a-f]{2}$/.test(shown.slice(i + 2, i + 4))) (out.push(parseInt(shown.slice(i + 2, i + 4), 16)), (i += 3));
    else if (c === '\\' && next === 'u' && /^[0-9a-f]{4}$/.test(shown.slice(i + 2, i + 6))) (out.push(...Buffer.from(String.fromCharCode(parseInt(shown.slice(i + 2, i + 6), 16)), 'utf8')), (i += 5));
    else if (c === '\\' && next && 'nrt'.includes(next)) (out.push({ n: 10, r: 13, t: 9 }[next as 'n' | 'r' | 't']), i++);
    else {
      const cp = shown.codePointAt(i)!;
      out.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
      if (cp > 0xffff) i++;
    }
  }
  return Buffer.from(out);
}

test('a host name of any bytes reads back exactly from its escape: a byte as backslash-x-NN, a literal backslash doubled', () => {
  // Two unix socket paths that differ only in an invalid byte, or in an ESC against a literal "\x1b".
  assert.equal(terminalSafe(hostText(Buffer.from('/run/a\xff.sock', 'latin1'))), '/run/a\\xff.sock');
  assert.equal(terminalSafe(hostText(Buffer.from('/run/a\xfe.sock', 'latin1'))), '/run/a\\xfe.sock');
  assert.equal(terminalSafe('/run/a\x1b.sock'), '/run/a\\x1b.sock');
  assert.equal(terminalSafe('/run/a\\x1b.sock'), '/run/a\\\\x1b.sock');
  assert.equal(terminalSafe('/run/a\\\n'), '/run/a\\\\\\n');
  assert.equal(terminalSafe('@abstract\nname'), '@abstract\\nname');
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
      const shown = terminalSafe(hostText(Buffer.from(bytes)));
      return !needsEscape(shown) && unescapeBytes(shown).equals(Buffer.from(bytes));
    }),
    { numRuns: 3000 },
  );
});

test('a shell line keeps its backslashes (it pastes as written); its controls are still escaped', () => {
  assert.equal(shellLineSafe("printf '[Service]\\nLimitNOFILE=65536\\n'"), "printf '[Service]\\nLimitNOFILE=65536\\n'");
  assert.equal(shellLineSafe('a\x1bb'), 'a\\x1bb');
});
