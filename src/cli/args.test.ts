import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, splitCommand, VALUE_OPTIONS } from './args.js';
import { UsageError } from './io.js';
import { HELP as DIAGNOSE_HELP } from './diagnose.js';
import { HELP as SOCKETS_HELP } from './sockets.js';
import { HELP as LIMITS_HELP } from './limits.js';
import { HELP as CAPTURE_HELP } from './capture.js';
import { HELP as LAB_HELP } from './lab.js';

test('the command word is found before or after options, option values are not taken for it', () => {
  assert.deepEqual(splitCommand(['--root', 'limits', 'limits', '42']), { command: 'limits', rest: ['--root', 'limits', '42'] });
  assert.deepEqual(splitCommand(['--root', '/tmp/x', 'limits', '42']), { command: 'limits', rest: ['--root', '/tmp/x', '42'] });
  assert.deepEqual(splitCommand(['--root=/tmp/x', 'sockets']), { command: 'sockets', rest: ['--root=/tmp/x'] });
  assert.deepEqual(splitCommand(['--json', '--pid', '7']), { command: null, rest: ['--json', '--pid', '7'] });
  assert.deepEqual(splitCommand(['--', 'limits']), { command: null, rest: ['--', 'limits'] });
  assert.deepEqual(splitCommand([]), { command: null, rest: [] });
});

test('every option that takes a value in some command is known to splitCommand', () => {
  for (const help of [DIAGNOSE_HELP, SOCKETS_HELP, LIMITS_HELP, CAPTURE_HELP, LAB_HELP]) {
    for (const m of help.matchAll(/--([a-z-]+) (?:[A-Z]+|DURATION)\b/g)) assert.ok(VALUE_OPTIONS.has(m[1]), `--${m[1]} takes a value: add it to VALUE_OPTIONS`);
  }
});

test('a flag given twice is refused, naming both values; booleans too', () => {
  const opts = { port: { type: 'string' }, json: { type: 'boolean' } } as const;
  assert.throws(() => parse(['--port', '80', '--port=443'], opts), (e: unknown) => e instanceof UsageError && e.message === "--port was given twice ('80' and '443'): give it once");
  assert.throws(() => parse(['--json', '--json'], opts), /--json was given twice: give it once/);
  assert.deepEqual({ ...parse(['--port', '80'], opts).values }, { port: '80' });
});
