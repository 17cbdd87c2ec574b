import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNfConntrackStat, readNfConntrackStat } from './nf-conntrack-stat.js';
import { readNfConntrack } from './nf-conntrack.js';
import { ParseError } from './read-file.js';
import { fixture } from '../testing/paths.js';

test('the idle table of this machine (Linux 6.18, 2 CPUs): every column zero, read by name', () => {
  const s = parseNfConntrackStat(readFileSync(fixture('pressure', 'nf_conntrack-stat-idle'), 'latin1'));
  assert.equal(s.cpus, 2);
  assert.equal(s.entries, 0);
  assert.deepEqual(Object.keys(s.totals), ['clashres', 'found', 'new', 'invalid', 'ignore', 'delete', 'chainlength', 'insert', 'insert_failed', 'drop', 'early_drop', 'icmp_error', 'expect_new', 'expect_create', 'expect_delete', 'search_restart']);
  assert.ok(Object.values(s.totals).every((v) => v === 0));
});

test('per-CPU hex columns are summed; entries is the namespace gauge, not summed', () => {
  const text = 'entries  clashres found drop early_drop\n0003fff0  00000000 00000010 0000000a 00000001\n0003fff0  00000000 00000001 000000ff 00000000\n';
  const s = parseNfConntrackStat(text);
  assert.equal(s.entries, 0x3fff0);
  assert.equal(s.totals.drop, 10 + 255);
  assert.equal(s.totals.early_drop, 1);
  assert.equal(s.totals.found, 17);
});

test('an older kernel\'s columns (searched, delete_list) parse by their names', () => {
  const text = 'entries  searched found new invalid ignore delete delete_list insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart\n' +
    '00000007  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000002 00000000 00000000  00000000 00000000 00000000 00000000\n';
  const s = parseNfConntrackStat(text);
  assert.equal(s.totals.drop, 2);
  assert.equal(s.totals.searched, 0);
});

test('damaged files fail with file and line', () => {
  assert.throws(() => parseNfConntrackStat('00000000 00000001\n', 'x'), (e: unknown) => e instanceof ParseError && e.line === 1 && /missing header/.test(e.reason));
  assert.throws(() => parseNfConntrackStat('entries drop\n00000001\n', 'x'), (e: unknown) => e instanceof ParseError && e.line === 2 && /1 fields, header has 2/.test(e.reason));
  assert.throws(() => parseNfConntrackStat('entries drop\n00000001 zz\n', 'x'), (e: unknown) => e instanceof ParseError && /drop is not 1 to 16 hex digits/.test(e.reason));
});

test('no nf_conntrack module: absent, value null, no error', () => {
  const root = mkdtempSync(join(tmpdir(), 'sockdoc-ct-'));
  try {
    const stat = readNfConntrackStat(root);
    assert.equal(stat.value, null);
    assert.equal(stat.report.status, 'absent');
    const sys = readNfConntrack(root);
    assert.equal(sys.value, null);
    assert.deepEqual(sys.reports.map((r) => r.status), ['absent']);
    assert.match(sys.reports[0].detail ?? '', /nf_conntrack is not loaded/);
    mkdirSync(join(root, 'proc/sys/net/netfilter'), { recursive: true });
    writeFileSync(join(root, 'proc/sys/net/netfilter/nf_conntrack_count'), '17\n');
    writeFileSync(join(root, 'proc/sys/net/netfilter/nf_conntrack_max'), '262144\n');
    const loaded = readNfConntrack(root);
    assert.deepEqual(loaded.value, { count: 17, max: 262144, buckets: null });
    assert.deepEqual(loaded.reports.map((r) => r.status), ['ok', 'ok', 'absent']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('the live host: when nf_conntrack is loaded, count, max and stat read', () => {
  const sys = readNfConntrack('/');
  if (sys.value === null) {
    assert.equal(sys.reports[0].status, 'absent');
    return;
  }
  assert.ok(sys.value.max !== null && sys.value.max > 0);
  const stat = readNfConntrackStat('/');
  assert.equal(stat.report.status, 'ok');
  assert.ok((stat.value?.cpus ?? 0) >= 1);
});
