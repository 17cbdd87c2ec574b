import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse, splitCommand, VALUE_OPTIONS } from './args.js';
import { UsageError } from './io.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../testing/paths.js';

test('the command word is found before or after options, option values are not taken for it', () => {
  assert.deepEqual(splitCommand(['--root', 'limits', 'limits', '42']), { command: 'limits', rest: ['--root', 'limits', '42'] });
  assert.deepEqual(splitCommand(['--root', '/tmp/x', 'limits', '42']), { command: 'limits', rest: ['--root', '/tmp/x', '42'] });
  assert.deepEqual(splitCommand(['--root=/tmp/x', 'sockets']), { command: 'sockets', rest: ['--root=/tmp/x'] });
  assert.deepEqual(splitCommand(['--json', '--pid', '7']), { command: null, rest: ['--json', '--pid', '7'] });
  assert.deepEqual(splitCommand(['--', 'limits']), { command: null, rest: ['--', 'limits'] });
  assert.deepEqual(splitCommand([]), { command: null, rest: [] });
});

test('every option that takes a value in some command is known to splitCommand', () => {
  // Read from the commands' sources: an option another command adds later is caught here.
  const dir = join(repoRoot, 'src', 'cli');
  const found = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    for (const m of readFileSync(join(dir, file), 'utf8').matchAll(/^\s*'?([a-z][a-z-]*)'?: \{ type: 'string'/gm)) found.add(m[1]);
  }
  assert.ok(found.has('root') && found.has('pid'), 'the scan sees the option tables');
  for (const name of found) assert.ok(VALUE_OPTIONS.has(name), `--${name} takes a value: add it to VALUE_OPTIONS`);
});

test('a flag given twice is refused, naming both values; booleans too', () => {
  const opts = { port: { type: 'string' }, json: { type: 'boolean' } } as const;
  assert.throws(() => parse(['--port', '80', '--port=443'], opts), (e: unknown) => e instanceof UsageError && e.message === "--port was given twice ('80' and '443'): give it once");
  assert.throws(() => parse(['--json', '--json'], opts), /--json was given twice: give it once/);
  assert.deepEqual({ ...parse(['--port', '80'], opts).values }, { port: '80' });
});

test('parseArgs errors become one line: a negative value is said plainly, quoting it', async () => {
  const { parse, intFlag } = await import('./args.js');
  assert.throws(() => parse(['--every', '-1'], { every: { type: 'string' } }), { message: "--every -1: a value cannot start with '-' (none of sockdoc's options takes a negative number)" });
  assert.throws(() => parse(['--bogus'], { every: { type: 'string' } }), (e: Error) => !e.message.includes('\n') && /Unknown option '--bogus'/.test(e.message));
  assert.throws(() => intFlag('count', '99999999999999999999', 1), { message: "--count must be between 1 and 9007199254740991, got '99999999999999999999'" });
  assert.throws(() => intFlag('port', '0', 1, 65535, 'the port'), { message: "the port must be between 1 and 65535, got '0'" });
});
