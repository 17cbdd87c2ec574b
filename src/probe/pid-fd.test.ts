import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fstatSync, readdirSync } from 'node:fs';
import net from 'node:net';
import { once } from 'node:events';
import { readPidFds, socketInode } from './pid-fd.js';
import { loadProcCapture, procTree } from '../testing/proc-capture.js';

const c = loadProcCapture();

test('socketInode parses socket:[N] and rejects every other target', () => {
  assert.equal(socketInode('socket:[357141]'), 357141);
  assert.equal(socketInode('socket:[0]'), 0);
  for (const t of ['pipe:[357148]', 'anon_inode:[eventpoll]', '/dev/null', 'socket:[]', 'socket:[12', 'socket:[1a]', 'socket:', '', '/tmp/socket:[1]']) {
    assert.equal(socketInode(t), -1, t);
  }
});

test('walks a fixture fd directory: sockets by fd, pipes/epoll/devices counted only', () => {
  const fds = readPidFds(procTree, c.server.pid);
  // 0 /dev/null, 1 pipe, 2 /dev/null, 3-9 sockets, 10-11 pipe, 12 eventpoll, 13 /dev/null
  assert.equal(fds.count, 14);
  assert.equal(fds.denied, false);
  const expected = Object.entries(c.server.sockets).map(([fd, inode]) => [Number(fd), inode]).sort((a, b) => a[0] - b[0]);
  assert.deepEqual(fds.sockets, expected);
  assert.deepEqual(fds.sockets[0], [c.server.listener!.fd, c.server.listener!.inode]);
});

test('sockets come back in fd order although a fixture directory lists entries in hash order', () => {
  const fds = readPidFds(procTree, c.server.pid);
  for (let i = 1; i < fds.sockets.length; i++) assert.ok(fds.sockets[i - 1][0] < fds.sockets[i][0]);
});

test('a missing fd directory or pid throws ENOENT for the caller to judge', () => {
  assert.throws(() => readPidFds(procTree, c.nofd), { code: 'ENOENT' });
  assert.throws(() => readPidFds(procTree, 999999999), { code: 'ENOENT' });
});

test('live: finds the sockets this process holds, with the inodes fstat reports', async () => {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection');
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await once(client, 'connect');
  const [conn] = (await accepted) as [net.Socket];
  try {
    const handles = [server, client, conn].map((h) => (h as unknown as { _handle: { fd: number } })._handle.fd);
    const fds = readPidFds('/', process.pid);
    assert.equal(fds.count, readdirSync(`/proc/${process.pid}/fd`).length);
    for (const fd of handles) {
      assert.ok(fds.sockets.some(([f, inode]) => f === fd && inode === fstatSync(fd).ino), `fd ${fd}`);
    }
  } finally {
    client.destroy();
    conn.destroy();
    server.close();
  }
});
