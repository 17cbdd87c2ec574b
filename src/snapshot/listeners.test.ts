import test from 'node:test';
import assert from 'node:assert/strict';
import { acceptWaitOf, deriveListeners, deriveUnixListeners, listenerKey } from './listeners.js';
import type { TcpSocket, TcpState, UnixSocket } from './types.js';

function sock(state: TcpState, local: string, lport: number, inode: number, family: 4 | 6 = 4, rx = 0): TcpSocket {
  return { family, state, localAddress: local, localPort: lport, remoteAddress: family === 4 ? '127.0.0.1' : '::1', remotePort: 40000 + inode, txQueue: 0, rxQueue: rx, uid: 0, inode, netns: 0 };
}

test('unaccepted ESTABLISHED/CLOSE_WAIT (inode 0) and SYN_RECV are attributed to their listener', () => {
  const sockets = [
    sock('LISTEN', '0.0.0.0', 8889, 100, 4, 3),
    sock('ESTABLISHED', '127.0.0.1', 8889, 0),
    sock('ESTABLISHED', '127.0.0.1', 8889, 0),
    sock('ESTABLISHED', '127.0.0.1', 8889, 555), // accepted: has a file
    sock('CLOSE_WAIT', '127.0.0.1', 8889, 0),
    sock('SYN_RECV', '127.0.0.1', 8889, 0),
    sock('ESTABLISHED', '127.0.0.1', 9999, 0), // no listener on that port
  ];
  const owners = new Map([[100, [{ pid: 7, fd: 3 }, { pid: 9, fd: 3 }, { pid: 7, fd: 5 }]]]);
  const [l] = deriveListeners(sockets, owners, new Map([[listenerKey(4, '0.0.0.0', 8889, 100), 128]]), 'sock_diag');
  assert.equal(l.acceptQueue, 3);
  assert.equal(l.backlog, 128);
  assert.equal(l.backlogSource, 'sock_diag');
  assert.equal(l.establishedUnaccepted, 2);
  assert.equal(l.closeWaitUnaccepted, 1);
  assert.equal(l.synRecv, 1);
  assert.deepEqual(l.pids, [7, 9]);
});

test('a dual-stack :: listener collects v4-mapped connections; an exact 127.0.0.1 listener wins over wildcard', () => {
  const sockets = [
    sock('LISTEN', '::', 80, 1, 6),
    sock('CLOSE_WAIT', '::ffff:127.0.0.1', 80, 0, 6),
    sock('LISTEN', '127.0.0.1', 81, 2),
    sock('LISTEN', '0.0.0.0', 81, 3),
    sock('ESTABLISHED', '127.0.0.1', 81, 0),
  ];
  const ls = deriveListeners(sockets, new Map(), new Map(), null);
  const v6 = ls.find((l) => l.port === 80)!;
  assert.equal(v6.closeWaitUnaccepted, 1);
  assert.equal(v6.backlog, null);
  assert.equal(v6.backlogSource, null);
  assert.equal(ls.find((l) => l.address === '127.0.0.1')!.establishedUnaccepted, 1);
  assert.equal(ls.find((l) => l.address === '0.0.0.0')!.establishedUnaccepted, 0);
});

test('an IPv6-only connection never lands on an IPv4 listener', () => {
  const sockets = [sock('LISTEN', '0.0.0.0', 80, 1), sock('ESTABLISHED', '::1', 80, 0, 6)];
  const [l] = deriveListeners(sockets, new Map(), new Map(), null);
  assert.equal(l.establishedUnaccepted, 0);
});

test('unix listeners: stream and seqpacket in LISTEN with a known queue; queued clients named by their holders', () => {
  const sockets: UnixSocket[] = [
    { type: 'stream', state: 'LISTEN', inode: 10, name: '/run/php/php-fpm.sock', rqueue: 3, wqueue: 511, peer: 0, fileInode: 77, netns: 5, queued: [21, 22, 23] },
    { type: 'seqpacket', state: 'LISTEN', inode: 11, name: '@ctl', rqueue: 0, wqueue: 16, peer: 0, fileInode: null, netns: 5, queued: [] },
    // Read from /proc/net/unix: queue counted, backlog unknown.
    { type: 'stream', state: 'LISTEN', inode: 12, name: '/run/b.sock', rqueue: 1, wqueue: null, peer: null, fileInode: null, netns: 5 },
    // No queue at all (an old capture's broken line), a datagram socket, a connected one: not listeners.
    { type: 'stream', state: 'LISTEN', inode: 13, name: '/run/c.sock', rqueue: null, wqueue: null, peer: null, fileInode: null, netns: 5 },
    { type: 'dgram', state: 'CLOSE', inode: 14, name: '/run/log.sock', rqueue: 0, wqueue: 0, peer: 0, fileInode: 9, netns: 5 },
    { type: 'stream', state: 'ESTABLISHED', inode: 21, name: null, rqueue: 0, wqueue: 0, peer: 0, fileInode: null, netns: 5 },
  ];
  // Client 21 and 22 held by nginx (pid 812), 23 by nobody (the client closed it).
  const owners = new Map([
    [10, [{ pid: 900, fd: 6 }, { pid: 901, fd: 6 }]],
    [21, [{ pid: 812, fd: 30 }]],
    [22, [{ pid: 812, fd: 31 }]],
  ]);
  const got = deriveUnixListeners(sockets, owners);
  assert.deepEqual(
    got.map((l) => [l.address, l.family, l.port, l.netns, l.acceptQueue, l.backlog, l.backlogSource, l.pids, l.unix?.type, l.unix?.abstract]),
    [
      ['/run/b.sock', 'unix', 0, 5, 1, null, null, [], 'stream', false],
      ['/run/php/php-fpm.sock', 'unix', 0, 5, 3, 511, 'sock_diag', [900, 901], 'stream', false],
      ['@ctl', 'unix', 0, 5, 0, 16, 'sock_diag', [], 'seqpacket', true],
    ],
  );
  assert.deepEqual(got[1].unix?.queuedFrom, [{ pid: 812, connections: 2 }]);
  assert.equal(got[1].unix?.queuedOrphans, 1);
  assert.equal(got[1].unix?.fileInode, 77);
  assert.deepEqual(got.map((l) => [l.drops, l.acceptWait]), [[null, null], [null, null], [null, null]], 'unix_diag counts no drops and no waits');
});

test('drops and accept waits come from the columns: waits of ESTABLISHED children only, longest first', () => {
  const listen = { ...sock('LISTEN', '::', 8889, 100, 6, 4), drops: 108 };
  const waiting = (port: number, ms: number | undefined, state: TcpState = 'ESTABLISHED') => ({ ...sock(state, '::ffff:127.0.0.1', port, 0, 6), ...(ms === undefined ? {} : { waitedMs: ms }) });
  const sockets: TcpSocket[] = [
    listen,
    sock('LISTEN', '127.0.0.1', 9000, 101),
    waiting(8889, 4100),
    waiting(8889, 1000),
    waiting(8889, 2500),
    waiting(8889, undefined), // closed before its lookup
    waiting(8889, 9000, 'CLOSE_WAIT'), // the client left: close-wait-unaccepted's, not a wait
  ];
  const [a, b] = deriveListeners(sockets, new Map(), new Map(), null);
  assert.equal(a.port, 8889);
  assert.equal(a.drops, 108);
  assert.deepEqual(a.acceptWait, { measured: 3, unmeasured: 1, maxMs: 4100, medianMs: 2500, waitsMs: [4100, 2500, 1000] });
  assert.equal(b.drops, null, 'in the column but not sent for this listener: unknown');
  assert.deepEqual(b.acceptWait, { measured: 0, unmeasured: 0, maxMs: 0, medianMs: 0, waitsMs: [] });
  const [proc] = deriveListeners([sock('LISTEN', '::', 1, 5, 6)], new Map(), new Map(), null);
  assert.equal(proc.drops, null);
  assert.equal(proc.acceptWait, null, '/proc: unknown, not "nobody waits"');
});

test('acceptWaitOf: the median of an even count is the mean of the middle two', () => {
  assert.equal(acceptWaitOf([10, 40, 20, 30], 4).medianMs, 25);
  assert.equal(acceptWaitOf([], 3).unmeasured, 3);
});
