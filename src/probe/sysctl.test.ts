import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseReservedPorts, parseSysctlNumber, parseSysctlNumbers, readTunables, sysctlPath, TUNABLE_NAMES } from './sysctl.js';
import { ParseError } from './read-file.js';
import { fixture } from '../testing/paths.js';

test('tunables of the busy namespace, as captured there', () => {
  const { tunables, reports } = readTunables(fixture('net', 'busy'));
  assert.deepEqual(tunables, {
    'net.core.somaxconn': 128,
    'net.ipv4.tcp_max_syn_backlog': 2048,
    'net.ipv4.tcp_syncookies': 1,
    'net.ipv4.tcp_abort_on_overflow': 0,
    // registered for the initial namespace only (net/core/sysctl_net_core.c): absent in ours
    'net.core.netdev_max_backlog': null,
    'fs.file-max': 2466170,
    'fs.nr_open': 1048576,
    'fs.file-nr': [100536, 0, 2466170],
    'net.ipv4.ip_local_port_range': [32768, 60999],
    // not captured in this older tree
    'net.ipv4.tcp_tw_reuse': null,
    'net.ipv4.ip_local_reserved_ports': null,
    // host-wide, initial namespace only: absent in ours
    'net.ipv4.tcp_mem': null,
    'net.ipv4.tcp_max_orphans': null,
  });
  assert.equal(reports.length, TUNABLE_NAMES.length);
  const absent = reports.filter((r) => r.status !== 'ok');
  assert.deepEqual(absent.map((r) => r.status), ['absent', 'absent', 'absent', 'absent', 'absent']);
  assert.match(absent[0].detail ?? '', /net\.core\.netdev_max_backlog is not available/);
});

test('a file with the wrong number of fields fails with file and line; the rest are still read', () => {
  const { tunables, reports } = readTunables(fixture('net', 'broken'));
  assert.equal(tunables['fs.file-nr'], null);
  const bad = reports.find((r) => r.source.endsWith('proc/sys/fs/file-nr'));
  assert.equal(bad?.status, 'failed');
  assert.match(bad?.detail ?? '', /file-nr:1: expected 3 numbers$/);
  // nothing else was captured in broken/: each is absent, none failed
  assert.equal(reports.filter((r) => r.status === 'absent').length, TUNABLE_NAMES.length - 1);
});

test('pure parsers', () => {
  assert.equal(parseSysctlNumber('4096\n'), 4096);
  assert.deepEqual(parseSysctlNumbers('32768\t60999\n', 2), [32768, 60999]);
  assert.throws(() => parseSysctlNumber('', 'x'), (e: unknown) => e instanceof ParseError && e.file === 'x' && e.line === 1);
  assert.throws(() => parseSysctlNumber('12k\n'), (e: unknown) => e instanceof ParseError && /^not an integer$/.test(e.reason));
  assert.throws(() => parseSysctlNumbers('1 2 3\n', 2), (e: unknown) => e instanceof ParseError && /expected 2 numbers/.test(e.reason));
  assert.equal(sysctlPath('net.ipv4.ip_local_port_range'), 'proc/sys/net/ipv4/ip_local_port_range');
  assert.equal(sysctlPath('fs.file-nr'), 'proc/sys/fs/file-nr');
  assert.deepEqual(parseReservedPorts('\n'), []);
  assert.deepEqual(parseReservedPorts('8080,9000-9010\n'), [[8080, 8080], [9000, 9010]]);
  assert.throws(() => parseReservedPorts('80-70\n', 'x'), (e: unknown) => e instanceof ParseError && /reversed/.test(e.reason));
  assert.throws(() => parseReservedPorts('http\n', 'x'), (e: unknown) => e instanceof ParseError && /expected ports and ranges/.test(e.reason));
});

test('the live host: every tunable of the initial namespace is readable', () => {
  const { tunables, reports } = readTunables('/');
  assert.deepEqual(reports.filter((r) => r.status !== 'ok'), []);
  assert.ok((tunables['net.core.somaxconn'] ?? 0) > 0);
  assert.equal(tunables['fs.file-nr']?.length, 3);
});
