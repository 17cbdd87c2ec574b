import { test } from 'node:test';
import assert from 'node:assert/strict';
import { duration, hostPort, pack, painter, percent, pidName, table, tableText, visible, wrap } from './format.js';

test('hostPort brackets IPv6 (v4-mapped too) and leaves IPv4 bare', () => {
  assert.equal(hostPort('127.0.0.1', 80), '127.0.0.1:80');
  assert.equal(hostPort('::', 8889), '[::]:8889');
  assert.equal(hostPort('::1', 443), '[::1]:443');
  assert.equal(hostPort('::ffff:10.0.0.1', 22), '[::ffff:10.0.0.1]:22');
});

test('painter without colour returns the text unchanged; with colour wraps it in SGR and reset', () => {
  assert.equal(painter(false)('red', 'x'), 'x');
  assert.equal(painter(true)('red', 'x'), '\x1b[31mx\x1b[0m');
  assert.equal(painter(true)('redBold', 'x'), '\x1b[1;31mx\x1b[0m');
  assert.equal(painter(true)(null, 'x'), 'x');
  assert.equal(visible(painter(true)('dim', 'abc')), 'abc');
});

test('wrap keeps words whole, respects the width, keeps long tokens and paragraph breaks', () => {
  const lines = wrap('the quick brown fox jumps over the lazy dog', 12);
  assert.deepEqual(lines, ['the quick', 'brown fox', 'jumps over', 'the lazy dog']);
  assert.ok(lines.every((l) => l.length <= 12));
  const path = '/etc/systemd/system/supervisord.service.d/nofile.conf';
  assert.deepEqual(wrap(`edit ${path} now`, 12), ['edit', path, 'now']);
  assert.deepEqual(wrap('one\n\ntwo', 20), ['one', '', 'two']);
});

test('pack fills lines up to the width without splitting items', () => {
  assert.deepEqual(pack(['a=1', 'bb=22', 'ccc=333'], 10), ['a=1  bb=22', 'ccc=333']);
  assert.deepEqual(pack([], 10), []);
});

test('table aligns columns, right-aligns numbers, leaves no trailing spaces', () => {
  const rows = [
    { n: 'a', v: 1 },
    { n: 'longer', v: 1234 },
  ];
  const out = table(rows, [{ header: 'name', cell: (r) => r.n }, { header: 'value', align: 'right', cell: (r) => String(r.v) }, { header: 'x', cell: () => '' }], painter(false));
  assert.deepEqual(out, ['name    value  x', 'a           1', 'longer   1234']);
});

test('table styles do not change alignment', () => {
  const rows = [{ v: '1' }, { v: '100' }];
  const out = table(rows, [{ header: 'v', align: 'right', cell: (r) => r.v, style: () => 'red' }, { header: 'end', cell: () => 'z' }], painter(true));
  assert.deepEqual(out.map(visible), ['  v  end', '  1  z', '100  z']);
});

test('small formatters', () => {
  assert.equal(pidName(37482, 'server'), '37482/server');
  assert.equal(pidName(37482, null), '37482');
  assert.equal(percent(1), '100%');
  assert.equal(percent(870 / 1024), '85%');
  assert.equal(percent(0.999), '99%');
  assert.equal(percent(0.004), '0.4%');
  assert.equal(percent(0), '0%');
  assert.equal(duration(1000), '1.0 s');
  assert.equal(duration(250), '250 ms');
});

test('tableText is the lines of table, each ending in a newline; trailing white space trimmed only at the end', () => {
  type R = { a: string; b: string; c: string };
  const rows: R[] = [
    { a: 'x', b: '1', c: 'end ' },
    { a: 'longer', b: '', c: '' },
    { a: '', b: '22', c: 'tab\t' },
    { a: 'y', b: '3', c: 'z' },
  ];
  const cols = [
    { header: 'a', cell: (r: R) => r.a },
    { header: 'b', align: 'right' as const, cell: (r: R) => r.b, style: (r: R) => (r.b === '3' ? ('red' as const) : null) },
    { header: 'c', cell: (r: R) => r.c },
  ];
  for (const color of [false, true]) {
    for (const indent of ['', '  ']) {
      const lines = table(rows, cols, painter(color), indent);
      assert.equal(tableText(rows, cols, painter(color), indent), lines.map((l) => l + '\n').join(''));
      assert.ok(lines.every((l) => l === l.trimEnd()), `no trailing white space (color ${color}, indent '${indent}')`);
    }
  }
  assert.deepEqual(table(rows, cols, painter(false)), ['a        b  c', 'x        1  end', 'longer', '        22  tab\\t', 'y        3  z']);
  assert.deepEqual(table(rows, cols, painter(true)).slice(-1), ['y       \x1b[31m 3\x1b[0m  z']);
  assert.deepEqual(table([], [], painter(false), '  '), ['']);
});
