import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROW_WORDS, socketsFromDiagTable, tableFromDiag, TCP_ALL_STATES_MASK, withRecordedDiag } from './net-diag.js';
import { SocketTable } from '../snapshot/socket-table.js';
import type { TcpSocket } from '../snapshot/types.js';
import { readNetTcp } from './net-tcp.js';
import type { NativeTcpTable } from './native.js';
import { ParseError } from './read-file.js';
import { fixture } from '../testing/paths.js';

type Row = [family: 4 | 6, state: number, sport: number, dport: number, local: number, remote: number, rq: number, wq: number, uid: number, inode: number];

/** A table as native/tcptable.c builds it. */
function table(addrs: Array<[4 | 6, number[]]>, rows: Row[]): NativeTcpTable {
  const words = new Uint32Array(rows.length * ROW_WORDS);
  rows.forEach(([fam, st, sp, dp, l, r, rq, wq, uid, ino], i) => {
    words.set([fam | (st << 8), ((sp << 16) | dp) >>> 0, l, r, rq, wq, uid, ino], i * ROW_WORDS);
  });
  const bytes = new Uint8Array(addrs.length * 16);
  addrs.forEach(([, b], i) => bytes.set(b, i * 16));
  return { count: rows.length, rows: words, addrs: bytes, addrFamilies: Uint8Array.from(addrs.map(([f]) => f)), ipv6: true };
}

const V4_ANY: [4, number[]] = [4, [0, 0, 0, 0]];
const V4_LO: [4, number[]] = [4, [127, 0, 0, 1]];
const V6_ANY: [6, number[]] = [6, new Array(16).fill(0)];
const V6_MAPPED: [6, number[]] = [6, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1]];

test('the states mask asks for states 1-11 and TCP_NEW_SYN_RECV, not TCP_BOUND_INACTIVE', () => {
  assert.equal(TCP_ALL_STATES_MASK, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].reduce((m, s) => m | (1 << s), 0));
});

test('LISTEN: txQueue 0 as /proc prints it, the limit goes to the backlog map', () => {
  const t = table([V4_LO, V4_ANY], [[4, 10, 8080, 0, 0, 1, 3, 128, 1000, 555]]);
  const { sockets, backlogs } = socketsFromDiagTable(t);
  assert.deepEqual(sockets, [
    { family: 4, state: 'LISTEN', localAddress: '127.0.0.1', localPort: 8080, remoteAddress: '0.0.0.0', remotePort: 0, txQueue: 0, rxQueue: 3, uid: 1000, inode: 555, netns: 0 },
  ]);
  assert.deepEqual([...backlogs], [['4|127.0.0.1|8080|555', 128]]);
});

test('other states keep both queues; request sockets get their listener uid (own address or wildcard)', () => {
  const t = table(
    [V4_LO, V4_ANY, V6_ANY, V6_MAPPED],
    [
      [4, 10, 80, 0, 1, 1, 0, 511, 33, 10], // 0.0.0.0:80, uid 33
      [6, 10, 81, 0, 2, 2, 0, 4096, 44, 11], // [::]:81 dual-stack, uid 44
      [4, 3, 80, 40000, 0, 0, 0, 0, 0, 0], // request socket to 127.0.0.1:80
      [6, 3, 81, 40001, 3, 3, 0, 0, 0, 0], // v4-mapped request socket to [::]:81
      [4, 1, 80, 40002, 0, 0, 7, 9, 33, 12], // ESTABLISHED with data both ways
      [4, 6, 80, 40003, 0, 0, 0, 0, 0, 0], // TIME_WAIT
    ],
  );
  const { sockets } = socketsFromDiagTable(t);
  assert.deepEqual(
    sockets.map((s) => [s.state, s.localAddress, s.uid, s.txQueue, s.rxQueue]),
    [
      ['LISTEN', '0.0.0.0', 33, 0, 0],
      ['LISTEN', '::', 44, 0, 0],
      ['SYN_RECV', '127.0.0.1', 33, 0, 0],
      ['SYN_RECV', '::ffff:127.0.0.1', 44, 0, 0],
      ['ESTABLISHED', '127.0.0.1', 33, 9, 7],
      ['TIME_WAIT', '127.0.0.1', 0, 0, 0],
    ],
  );
});

test('a state the kernel should not send is a ParseError naming the socket', () => {
  assert.throws(() => socketsFromDiagTable(table([V4_LO], [[4, 13, 1, 2, 0, 0, 0, 0, 0, 0]])), (e) => e instanceof ParseError && /unknown TCP state 13/.test(e.message));
  assert.throws(() => socketsFromDiagTable(table([V4_LO], [[4, 0, 1, 2, 0, 0, 0, 0, 0, 0]])), ParseError);
});

test('readNetTcp: a fixture root and SOCKDOC_NET_SOURCE=proc read /proc text; a missing addon falls back with the reason', () => {
  const busy = fixture('net', 'busy');
  const fromRoot = readNetTcp(busy);
  assert.equal(fromRoot.source, 'proc');
  assert.equal(fromRoot.backlogs, undefined);
  const forced = readNetTcp('/', { source: 'proc' });
  assert.equal(forced.source, 'proc');
  assert.ok(forced.reports.every((r) => r.source.startsWith('/proc/net/tcp')));
  const saved = process.env.SOCKDOC_NET_SOURCE;
  process.env.SOCKDOC_NET_SOURCE = 'proc';
  try {
    assert.equal(readNetTcp('/').source, 'proc');
  } finally {
    if (saved === undefined) delete process.env.SOCKDOC_NET_SOURCE;
    else process.env.SOCKDOC_NET_SOURCE = saved;
  }
  const noAddon = readNetTcp('/', { source: 'sock_diag', addonPath: '/nonexistent/sockdoc_native.node' });
  assert.equal(noAddon.source, 'proc');
  assert.match(noAddon.reports[0].detail ?? '', /sock_diag dump unavailable .*read \/proc\/net\/tcp instead/);
});

test('v6only flags in row word 0 (native/tcptable.c): decoded for listeners, never taken for the state', () => {
  const t = table([V6_ANY, V6_ANY], [
    [6, 10, 7001, 0, 0, 1, 0, 5, 0, 901],
    [6, 10, 7002, 0, 0, 1, 0, 5, 0, 902],
    [6, 10, 7003, 0, 0, 1, 0, 5, 0, 903],
  ]);
  t.rows[0] |= (1 << 16) | (1 << 17); // known, set: [::]:7001
  t.rows[ROW_WORDS] |= 1 << 16; // known, clear: *:7002; 7003: an addon built before, unknown
  const { sockets, v6only } = socketsFromDiagTable(t);
  assert.deepEqual(sockets.map((s) => s.state), ['LISTEN', 'LISTEN', 'LISTEN']);
  assert.deepEqual([...v6only], [['6|::|7001|901', true], ['6|::|7002|902', false]]);
});

test('drops and waits: listeners get their SK_MEMINFO_DROPS, waiting connections their wait, others nothing', () => {
  const t = table([V4_LO, V4_ANY, V6_ANY, V6_MAPPED], [
    [4, 10, 8080, 0, 0, 1, 3, 2, 0, 555], // 127.0.0.1:8080, queue 3 of 2
    [6, 10, 8081, 0, 2, 2, 0, 4096, 0, 556], // [::]:8081
    [4, 1, 8080, 40000, 0, 0, 0, 0, 0, 0], // queued on 8080
    [6, 1, 8081, 40001, 3, 3, 0, 0, 0, 0], // v4-mapped, queued on 8081
    [4, 1, 8080, 40002, 0, 0, 0, 0, 1000, 600], // accepted: has an inode, no wait
  ]);
  t.listenerDrops = Uint32Array.from([0, 108, 1, 0]);
  // last_data_sent 4016 (since the handshake); a kernel whose lsndtime is older than the last ACK: the lower bound wins.
  t.acceptWaits = Uint32Array.from([2, 4016, 4016, 4016, 3, 50, 900, 700]);
  t.acceptWaitsSkipped = 0;
  t.acceptWaitsGone = 1;
  t.acceptWaitsError = null;
  const { sockets } = socketsFromDiagTable(t);
  assert.deepEqual(sockets.map((s) => [s.localPort, s.state, s.drops, s.waitedMs]), [
    [8080, 'LISTEN', 108, undefined],
    [8081, 'LISTEN', 0, undefined],
    [8080, 'ESTABLISHED', undefined, 4016],
    [8081, 'ESTABLISHED', undefined, 700],
    [8080, 'ESTABLISHED', undefined, undefined],
  ]);
  const { table: cols, waits } = tableFromDiag(t);
  assert.deepEqual(waits, { measured: 2, skipped: 0, gone: 1, error: null });
  assert.ok(cols.drops && cols.waitedMs);
  // An addon built before: no columns, so nothing is claimed known.
  const old = tableFromDiag(table([V4_LO], [[4, 10, 80, 0, 0, 0, 0, 5, 0, 1]]));
  assert.equal(old.table.drops, null);
  assert.equal(old.table.waitedMs, null);
  assert.equal(old.waits, null);
});

test('drops for a row that is not a listener, or a wait beyond the table, are ParseErrors', () => {
  const t = table([V4_LO], [[4, 1, 80, 1, 0, 0, 0, 0, 0, 0]]);
  t.listenerDrops = Uint32Array.from([0, 5]);
  assert.throws(() => tableFromDiag(t), (e) => e instanceof ParseError && /not a listener/.test(e.message));
  const u = table([V4_LO], [[4, 1, 80, 1, 0, 0, 0, 0, 0, 0]]);
  u.acceptWaits = Uint32Array.from([7, 1, 1, 1]);
  assert.throws(() => tableFromDiag(u), (e) => e instanceof ParseError && /beyond the table/.test(e.message));
});

test('withRecordedDiag: a capture\'s /proc rows get the drops and waits it recorded beside them', () => {
  const t = socketsTable([
    { state: 'LISTEN', localAddress: '::', localPort: 8889, remoteAddress: '::', remotePort: 0, inode: 77 },
    { state: 'ESTABLISHED', localAddress: '::ffff:127.0.0.1', localPort: 8889, remoteAddress: '::ffff:127.0.0.1', remotePort: 40000, inode: 0 },
    { state: 'ESTABLISHED', localAddress: '::ffff:127.0.0.1', localPort: 8889, remoteAddress: '::ffff:127.0.0.1', remotePort: 40001, inode: 0 },
  ]);
  const out = withRecordedDiag(t, new Map([['6|::|8889|77', 12]]), new Map([['6|::ffff:127.0.0.1|8889|::ffff:127.0.0.1|40000', 3100]]));
  assert.deepEqual(out.toArray().map((s) => [s.drops, s.waitedMs]), [[12, undefined], [undefined, 3100], [undefined, undefined]]);
  assert.equal(withRecordedDiag(t, null, null), t, 'nothing recorded: unchanged, columns stay null');
  assert.equal(withRecordedDiag(t, new Map(), null).waitedMs, null);
});

function socketsTable(rows: Array<Pick<TcpSocket, 'state' | 'localAddress' | 'localPort' | 'remoteAddress' | 'remotePort' | 'inode'>>): SocketTable {
  return SocketTable.fromSockets(rows.map((r) => ({ family: 6, txQueue: 0, rxQueue: 0, uid: 0, netns: 0, ...r })));
}
