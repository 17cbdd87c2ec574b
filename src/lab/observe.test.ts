import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TcpSocket, TcpState } from '../snapshot/types.js';
import { listener, proc, snapshot } from '../testing/snapshot-builder.js';
import { observe, socketLines } from './observe.js';

function sock(state: TcpState, local: number, remote: number, inode: number, rx = 0): TcpSocket {
  return {
    family: 4,
    state,
    localAddress: state === 'LISTEN' ? '0.0.0.0' : '127.0.0.1',
    localPort: local,
    remoteAddress: state === 'LISTEN' ? '0.0.0.0' : '127.0.0.1',
    remotePort: remote,
    txQueue: state === 'SYN_SENT' ? 1 : 0,
    rxQueue: rx,
    uid: 0,
    inode,
    netns: 0,
  };
}

/** The seed after the clients died: 129 unowned CLOSE_WAIT, 2 SYN_RECV, the listener, one unrelated socket. */
function seedSnapshot() {
  const s = snapshot({
    processes: [proc({ pid: 100, name: 'server', open: 30, soft: 1024 }), proc({ pid: 200, name: 'clients', open: 150, soft: 1024 })],
    listeners: [listener({ port: 8889, pids: [100], acceptQueue: 129, backlog: 128, inode: 7000 })],
    values: { 'TcpExt.ListenOverflows': 213, 'TcpExt.ListenDrops': 213 },
    deltas: { 'TcpExt.ListenOverflows': 71 },
  });
  s.sockets.push(sock('LISTEN', 8889, 0, 7000, 129));
  for (let i = 0; i < 129; i++) s.sockets.push(sock('CLOSE_WAIT', 8889, 40000 + i, 0, 1));
  for (let i = 0; i < 2; i++) s.sockets.push(sock('SYN_RECV', 8889, 41000 + i, 0));
  for (let i = 0; i < 3; i++) {
    s.sockets.push(sock('SYN_SENT', 42000 + i, 8889, 9000 + i));
    s.owners.set(9000 + i, [{ pid: 200, fd: 10 + i }]);
  }
  s.sockets.push(sock('ESTABLISHED', 22, 50000, 9999));
  return s;
}

test('socketLines folds identical sockets and keeps ss column meanings', () => {
  const lines = socketLines(seedSnapshot(), 8889);
  assert.deepEqual(lines, [
    { state: 'LISTEN', recvQ: '129', sendQ: '128', local: '0.0.0.0:8889', peer: '0.0.0.0:*', process: 'users:(("server",pid=100))', count: 1 },
    { state: 'CLOSE-WAIT', recvQ: '1', sendQ: '0', local: '127.0.0.1:8889', peer: '127.0.0.1:*', process: '-', count: 129 },
    { state: 'SYN-RECV', recvQ: '0', sendQ: '0', local: '127.0.0.1:8889', peer: '127.0.0.1:*', process: '-', count: 2 },
    { state: 'SYN-SENT', recvQ: '0', sendQ: '1', local: '127.0.0.1:*', peer: '127.0.0.1:8889', process: 'users:(("clients",pid=200))', count: 3 },
  ]);
});

test('socketLines shows the backlog as "?" when it is unknown', () => {
  const s = seedSnapshot();
  s.listeners[0].backlog = null;
  assert.equal(socketLines(s, 8889)[0].sendQ, '?');
});

test('observe counts both sides, the unowned server sockets, counters and lab fds', () => {
  const o = observe(seedSnapshot(), 8889, [100]);
  assert.equal(o.acceptQueue, 129);
  assert.equal(o.backlog, 128);
  assert.deepEqual(o.server, { CLOSE_WAIT: 129, SYN_RECV: 2 });
  assert.deepEqual(o.serverUnowned, { CLOSE_WAIT: 129, SYN_RECV: 2 });
  assert.deepEqual(o.client, { SYN_SENT: 3 });
  assert.equal(o.listenOverflows, 213);
  assert.equal(o.listenOverflowsDelta, 71);
  assert.deepEqual(o.fds, [{ pid: 100, name: 'server', open: 30, soft: 1024 }]);
});

test('observe without a listener on the port gives null queue numbers', () => {
  const o = observe(seedSnapshot(), 9999, []);
  assert.equal(o.acceptQueue, null);
  assert.equal(o.backlog, null);
  assert.deepEqual(o.server, {});
});
