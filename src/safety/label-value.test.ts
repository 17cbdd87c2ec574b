import test from 'node:test';
import assert from 'node:assert/strict';
import { LABEL_VALUE_MAX, labelSafe } from './label-value.js';

test('controls, C1, bidi overrides and separators are escaped as the terminal shows them', () => {
  assert.equal(labelSafe('a\x1b]0;pwned\x07b'), 'a\\x1b]0;pwned\\x07b');
  assert.equal(labelSafe('evil\u202efnoc'), 'evil\\u202efnoc');
  assert.equal(labelSafe('x\x9by\x00z\nw'), 'x\\u009by\\x00z\\nw');
  assert.equal(labelSafe('nginx'), 'nginx');
  assert.equal(labelSafe('caf\u00e9 \ufffd'), 'caf\u00e9 \ufffd', 'printable text and the replacement character stay');
});

test('lone surrogates become U+FFFD; a pair stays', () => {
  assert.equal(labelSafe('a\ud800b\udc00'), 'a\ufffdb\ufffd');
  assert.equal(labelSafe('\ud83d\ude00'), '\ud83d\ude00');
});

test('long values are cut to LABEL_VALUE_MAX code points, never inside a surrogate pair', () => {
  const cut = labelSafe('x'.repeat(300));
  assert.equal(cut.length, LABEL_VALUE_MAX);
  assert.ok(cut.endsWith('…'));
  const emoji = labelSafe('\ud83d\ude00'.repeat(200));
  assert.equal(Array.from(emoji).length, LABEL_VALUE_MAX);
  assert.doesNotMatch(emoji, /[\ud800-\udbff](?![\udc00-\udfff])/);
  // Escapes count after escaping: 100 ESC bytes are 400 characters shown.
  assert.equal(Array.from(labelSafe('\x1b'.repeat(100))).length, LABEL_VALUE_MAX);
});
