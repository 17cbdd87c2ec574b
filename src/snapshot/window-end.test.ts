import { test } from 'node:test';
import assert from 'node:assert/strict';
import { listenersOfTable, sameTcp, tableAtEnd, tcpMarks } from './window-end.js';
import { SocketTable } from './socket-table.js';
import type { TcpSocket } from './types.js';

const SOCKSTAT = 'sockets: used 5\nTCP: inuse 3 orphan 0 tw 0 alloc 9 mem 1\nUDP: inuse 0 mem 0\n';
const SOCKSTAT6 = 'TCP6: inuse 0\nUDP6: inuse 0\n';
const COUNTERS = { 'Tcp.InSegs': 10, 'Tcp.OutSegs': 12, 'Tcp.RetransSegs': 0, 'TcpExt.ListenOverflows': 4, 'IpExt.InOctets': 900 };

function sock(over: Partial<TcpSocket>): TcpSocket {
  return { family: 4, state: 'ESTABLISHED', localAddress: '127.0.0.1', localPort: 9400, remoteAddress: '127.0.0.1', remotePort: 40000, rxQueue: 0, txQueue: 0, uid: 0, inode: 0, netns: 7, ...over };
}

const TABLE = SocketTable.fromSockets([
  sock({ state: 'LISTEN', remoteAddress: '0.0.0.0', remotePort: 0, rxQueue: 1, txQueue: 0, inode: 501, drops: 3 }),
  sock({ inode: 0, waitedMs: 1200 }),
  sock({ localPort: 40000, remotePort: 9400, inode: 502 }),
]);

test('tcpMarks/sameTcp: the same counters, sockstat and listener queues prove nothing changed; any TCP difference does not', () => {
  const marks = tcpMarks(COUNTERS, { v4: SOCKSTAT, v6: SOCKSTAT6 }, listenersOfTable(TABLE))!;
  assert.ok(marks);
  assert.ok(sameTcp(marks, tcpMarks({ ...COUNTERS }, { v4: SOCKSTAT, v6: SOCKSTAT6 }, listenersOfTable(TABLE))!));
  // Not TCP: IP counters may move (another protocol's traffic) without touching a TCP socket.
  assert.ok(sameTcp(marks, tcpMarks({ ...COUNTERS, 'IpExt.InOctets': 5000 }, { v4: SOCKSTAT, v6: SOCKSTAT6 }, listenersOfTable(TABLE))!));
  const differs = [
    tcpMarks({ ...COUNTERS, 'Tcp.InSegs': 11 }, { v4: SOCKSTAT, v6: SOCKSTAT6 }, listenersOfTable(TABLE)), // a segment came in
    tcpMarks({ ...COUNTERS, 'Tcp.RetransSegs': 1 }, { v4: SOCKSTAT, v6: SOCKSTAT6 }, listenersOfTable(TABLE)), // a retransmission
    tcpMarks({ ...COUNTERS, 'TcpExt.TCPNew': 1 }, { v4: SOCKSTAT, v6: SOCKSTAT6 }, listenersOfTable(TABLE)), // a counter appeared
    tcpMarks(COUNTERS, { v4: SOCKSTAT.replace('tw 0', 'tw 1'), v6: SOCKSTAT6 }, listenersOfTable(TABLE)), // a TIME_WAIT
    tcpMarks(COUNTERS, { v4: SOCKSTAT, v6: 'TCP6: inuse 1\n' }, listenersOfTable(TABLE)), // an IPv6 socket
    tcpMarks(COUNTERS, { v4: SOCKSTAT, v6: SOCKSTAT6 }, new Map([['4/9400/501', 0]])), // accept() took the queued one
    tcpMarks(COUNTERS, { v4: SOCKSTAT, v6: SOCKSTAT6 }, new Map([['4/9400/501', 1], ['4/9401/503', 0]])), // a new listener
  ];
  for (const [i, m] of differs.entries()) assert.equal(sameTcp(marks, m!), false, `difference ${i}`);
});

test('tcpMarks: unknown counters or sockstat prove nothing (null); no IPv6 (sockstat6 absent) counts as none', () => {
  assert.equal(tcpMarks(null, { v4: SOCKSTAT, v6: null }, new Map()), null);
  assert.equal(tcpMarks(COUNTERS, null, new Map()), null);
  assert.equal(tcpMarks({ 'TcpExt.ListenOverflows': 1 }, { v4: SOCKSTAT, v6: null }, new Map()), null, 'no Tcp segment counters');
  assert.equal(tcpMarks(COUNTERS, { v4: SOCKSTAT, v6: null }, new Map())?.inuse6, 0);
});

test('tableAtEnd: listeners take the end dump\'s drops, waiting connections have waited the time between the reads longer', () => {
  const end = tableAtEnd(TABLE, new Map([['4|127.0.0.1|9400|501', 5]]), 750);
  assert.equal(end.drops![0], 5, 'the end dump\'s drops');
  assert.equal(end.length, 3);
  assert.equal(end.waitedMs![1], 1950);
  assert.equal(end.waitedMs![2], TABLE.waitedMs![2], 'no wait stays no wait');
  assert.equal(end.inode[2], 502);
  const none = tableAtEnd(TABLE, null, 0);
  assert.equal(none.waitedMs![1], 1200);
});
