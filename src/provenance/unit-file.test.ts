import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError } from '../probe/read-file.js';
import { parseUnitFile } from './unit-file.js';

test('parseUnitFile reads sections, keys, empty values and line numbers', () => {
  const a = parseUnitFile('# comment\n; other\n[Unit]\nDescription=x\n\n[Service]\nLimitNOFILE = 4096\nLimitNOFILE=\n', 'u.service');
  assert.deepEqual(
    a.map((x) => [x.section, x.key, x.value, x.line]),
    [
      ['Unit', 'Description', 'x', 4],
      ['Service', 'LimitNOFILE', '4096', 7],
      ['Service', 'LimitNOFILE', '', 8],
    ],
  );
  assert.equal(a[0].file, 'u.service');
});

test('parseUnitFile joins backslash continuations and keeps the first line number', () => {
  const a = parseUnitFile('[Service]\nExecStart=/bin/a \\\n  --b \\\n# skipped comment\n  --c\nLimitNOFILE=1\n', 'u');
  assert.equal(a[0].value, '/bin/a  --b  --c');
  assert.equal(a[0].line, 2);
  assert.equal(a[1].line, 6);
});

test('parseUnitFile refuses a line without "=" with a ParseError naming file and line', () => {
  assert.throws(
    () => parseUnitFile('[Service]\nLimitNOFILE 65536\n', '/etc/systemd/system/api.service.d/limits.conf'),
    (e: unknown) => e instanceof ParseError && e.file === '/etc/systemd/system/api.service.d/limits.conf' && e.line === 2,
  );
  assert.throws(() => parseUnitFile('[Service\n', 'u'), (e: unknown) => e instanceof ParseError && e.line === 1);
});
