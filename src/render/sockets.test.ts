import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressSortKey, ownersText, renderSocketsTable, socketsToRows, unownedText, type SocketRow } from './sockets.js';
import { seedDiagnosis, sock } from './test-data.js';
import { listener, snapshot } from '../testing/snapshot-builder.js';
import { assertGolden } from './golden.js';

const seed = () => seedDiagnosis().snapshot;

test('IPv6 addresses are bracketed, IPv4 bare, v4-mapped bracketed', () => {
  const rows = socketsToRows(seed());
  assert.ok(rows.some((r) => r.local === '[::]:8889' && r.remote === '[::]:0'));
  assert.ok(rows.some((r) => r.local === '0.0.0.0:22'));
  assert.ok(rows.some((r) => r.local === '[::ffff:192.168.0.105]:8889' && r.remote.startsWith('[::ffff:192.168.0.100]:')));
});

test('LISTEN: Recv-Q is the accept queue and Send-Q the backlog limit, as ss prints them', () => {
  const [l] = socketsToRows(seed(), { state: 'LISTEN', port: 8889 });
  assert.deepEqual(l, { state: 'LISTEN', local: '[::]:8889', remote: '[::]:0', recvQ: 129, sendQ: 128, inode: 510001, owners: [{ pid: 37482, name: 'server', fd: 3 }], netns: 0, namespace: 'host' });
});

test('LISTEN with an unknown backlog: Send-Q is null, printed "?", never the 0 of /proc', () => {
  const s = snapshot({ listeners: [listener({ port: 80, backlog: null, acceptQueue: 3 })] });
  s.sockets = [sock({ state: 'LISTEN', localPort: 80, rxQueue: 3, inode: s.listeners[0].inode })];
  const rows = socketsToRows(s);
  assert.equal(rows[0].sendQ, null);
  assert.match(renderSocketsTable(rows, { color: false, columns: 100 }), /^LISTEN +3 +\? +0\.0\.0\.0:80 +0\.0\.0\.0:\* +\(owner not visible\)$/m);
});

test('other states: Recv-Q/Send-Q are rxQueue/txQueue', () => {
  const [ssh] = socketsToRows(seed(), { state: 'ESTABLISHED', port: 22 });
  assert.equal(ssh.recvQ, 0);
  assert.equal(ssh.sendQ, 36);
  assert.deepEqual(ssh.owners, [{ pid: 2301, name: 'sshd', fd: 4 }, { pid: 2305, name: 'sshd', fd: 4 }]);
});

test('unowned sockets in a queue name the listener and whose accept() they wait for', () => {
  const rows = socketsToRows(seed(), { state: 'CLOSE_WAIT' });
  assert.equal(rows.length, 126);
  assert.deepEqual(rows[0].owners, []);
  assert.deepEqual(rows[0].waitingOn, { listener: '[::]:8889', owners: [{ pid: 37482, name: 'server' }] });
  const tw = socketsToRows(seed(), { state: 'TIME_WAIT' });
  assert.equal(tw[0].waitingOn, undefined);
  const text = renderSocketsTable([...rows.slice(0, 1), ...tw], { color: false, columns: 100 });
  assert.match(text, /\(not accepted yet: \[::\]:8889 37482\/server\)/);
  assert.match(text, /\(time-wait: no process\)/);
});

test('filters: state, local or remote port, pid (held or queued behind its listener), combined', () => {
  const s = seed();
  assert.equal(socketsToRows(s, { state: 'SYN_RECV' }).length, 9);
  assert.ok(socketsToRows(s, { port: 22 }).every((r) => r.local.endsWith(':22')));
  assert.equal(socketsToRows(s, { port: 51514 }).length, 1, 'remote port matches too');
  const mine = socketsToRows(s, { pid: 37482 });
  assert.equal(mine.length, 1 + 9 + 3 + 126);
  assert.ok(mine.every((r) => r.owners.some((o) => o.pid === 37482) || r.waitingOn?.owners.some((o) => o.pid === 37482)));
  assert.deepEqual(socketsToRows(s, { pid: 2305 }).map((r) => r.local), ['192.168.0.105:22']);
  assert.deepEqual(socketsToRows(s, { pid: 37482, state: 'ESTABLISHED', port: 8889 }).length, 3);
  assert.deepEqual(socketsToRows(s, { pid: 999999 }), []);
});

test('sorted: listeners first by port, then by local port, state, peer; stable whatever the input order', () => {
  const s = seed();
  const rows = socketsToRows(s);
  const firstNonListen = rows.findIndex((r) => r.state !== 'LISTEN');
  assert.ok(rows.slice(0, firstNonListen).every((r) => r.state === 'LISTEN'));
  assert.deepEqual(rows.slice(0, firstNonListen).map((r) => r.local), ['0.0.0.0:22', '[::]:22', '[::]:8889', '127.0.0.1:9001']);
  assert.ok(rows.slice(firstNonListen).every((r) => r.state !== 'LISTEN'));
  s.sockets.reverse();
  assert.deepEqual(socketsToRows(s), rows);
  const syn = socketsToRows(s, { state: 'SYN_RECV' }).map((r) => r.remote);
  assert.deepEqual(syn, [...syn].sort());
});

test('addresses sort numerically', () => {
  const sorted = ['10.0.0.10', '10.0.0.9', '::1', '2001:db8::1', '::ffff:10.0.0.1', '1.2.3.4'].sort((a, b) => (addressSortKey(a) < addressSortKey(b) ? -1 : 1));
  assert.deepEqual(sorted, ['1.2.3.4', '10.0.0.9', '10.0.0.10', '::1', '::ffff:10.0.0.1', '2001:db8::1']);
  assert.equal(addressSortKey('::ffff:10.0.0.1'), '6:0000:0000:0000:0000:0000:ffff:0a00:0001');
});

test('owners text groups fds per process', () => {
  const owners: SocketRow['owners'] = [{ pid: 812, name: 'nginx', fd: 6 }, { pid: 812, name: 'nginx', fd: 9 }, { pid: 813, name: null, fd: 6 }];
  assert.equal(ownersText(owners), '812/nginx fd=6,9, 813 fd=6');
});

test('table: ss-like header, a count line, no colour codes unless asked, "No sockets match" when empty', () => {
  const rows = socketsToRows(seed(), { port: 8889 });
  const text = renderSocketsTable(rows, { color: false, columns: 100 });
  assert.match(text.split('\n')[0], /^State +Recv-Q +Send-Q +Local +Peer +Process$/);
  assert.match(text, /^LISTEN +129 +128 +\[::\]:8889 +\[::\]:\* +37482\/server fd=3$/m);
  assert.match(text, /139 sockets: 1 LISTEN, 3 ESTABLISHED, 9 SYN_RECV, 126 CLOSE_WAIT\n$/);
  assert.ok(!text.includes('\x1b'));
  assert.ok(renderSocketsTable(rows, { color: true, columns: 100 }).match(/\x1b\[31m +129\x1b\[0m/) !== null, 'a full queue is red');
  assert.equal(renderSocketsTable([], { color: false, columns: 100 }), 'No sockets match.\n');
});

test('JSON is the array of rows', () => {
  const rows = socketsToRows(seed(), { port: 22 });
  const json = JSON.parse(JSON.stringify(rows));
  assert.deepEqual(json, rows);
  for (const r of json) assert.deepEqual(Object.keys(r).slice(0, 7), ['state', 'local', 'remote', 'recvQ', 'sendQ', 'inode', 'owners']);
});

test('golden: sockets of the seed on port 8889, first rows of each state', () => {
  const rows = socketsToRows(seed(), { port: 8889 });
  const someOfEach = rows.filter((r, i) => rows.findIndex((x) => x.state === r.state) + 3 > i);
  assertGolden('sockets-seed.txt', renderSocketsTable(someOfEach, { color: false, columns: 100 }));
});

test('docs/json-schema.md documents every field of a sockets row', async () => {
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { repoRoot } = await import('../testing/paths.js');
  const doc = readFileSync(join(repoRoot, 'docs', 'json-schema.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## `sockdoc sockets --json`'));
  const [row] = socketsToRows(seed(), { state: 'CLOSE_WAIT' });
  const keys = [...Object.keys(row), ...Object.keys(row.waitingOn!)];
  assert.deepEqual(keys.filter((k) => !section.includes('`' + k + '`')), []);
});

test('a queued connection with a measured wait says how long it has waited', () => {
  const row = { state: 'ESTABLISHED' as const, local: '[::1]:8889', remote: '[::1]:40000', recvQ: 0, sendQ: 0, inode: 0, owners: [], netns: 0, namespace: 'host', waitingOn: { listener: '[::]:8889', owners: [{ pid: 37482, name: 'server' }] } };
  assert.equal(unownedText({ ...row, waitedMs: 4100 }), '(not accepted yet: [::]:8889 37482/server; waiting 4.1 s)');
  assert.equal(unownedText(row), '(not accepted yet: [::]:8889 37482/server)');
  const text = renderSocketsTable([{ ...row, waitedMs: 65_000 }, { ...row, remote: '[::1]:40001', waitedMs: 900 }], { color: false, columns: 120 });
  assert.match(text, /waiting 1 min 5 s\)/);
  assert.match(text, /waiting 900 ms\)/);
});
