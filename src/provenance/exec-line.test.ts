import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitExecLine } from './exec-line.js';

test('ExecStart words: prefixes, quotes, $VAR split into words, ${VAR} as one word, $$', () => {
  const env = new Map([
    ['OPTS', '--default-ulimit  nofile=1024:2048 --x'],
    ['ONE', 'a b'],
  ]);
  const words = splitExecLine('-/usr/sbin/dockerd -H fd:// "two words" \'x y\' $OPTS ${ONE} cost$$ $UNSET end', env);
  assert.deepEqual(
    words.map((w) => [w.word, w.fromVar]),
    [
      ['/usr/sbin/dockerd', null],
      ['-H', null],
      ['fd://', null],
      ['two words', null],
      ['x y', null],
      ['--default-ulimit', 'OPTS'],
      ['nofile=1024:2048', 'OPTS'],
      ['--x', 'OPTS'],
      ['a b', null],
      ['cost$', null],
      ['end', null],
    ],
  );
});

test('ExecStart words: a $NAME inside a word stays literal', () => {
  assert.deepEqual(splitExecLine('run --opt=$X', new Map([['X', 'y']])).map((w) => w.word), ['run', '--opt=$X']);
});
