import { test } from 'node:test';
import assert from 'node:assert/strict';
import { proc, snapshot, unixListener } from '../testing/snapshot-builder.js';
import type { UnixSocket } from '../snapshot/types.js';
import { renderUnixTable, unixRows } from './unix-sockets.js';

function scene() {
  const s = snapshot({
    processes: [proc({ pid: 900, name: 'php-fpm8.2' }), proc({ pid: 812, name: 'nginx' })],
    listeners: [unixListener({ path: '/run/php/php-fpm.sock', pids: [900], inode: 10, acceptQueue: 512, backlog: 511, queuedFrom: [{ pid: 812, connections: 512 }] })],
  });
  const socks: UnixSocket[] = [
    { type: 'stream', state: 'ESTABLISHED', inode: 21, name: null, rqueue: 0, wqueue: 0, peer: 0, fileInode: null, netns: 0 },
    { type: 'dgram', state: 'CLOSE', inode: 30, name: '/dev/log\x1b[2J', rqueue: 0, wqueue: 0, peer: 0, fileInode: 4, netns: 0 },
    { type: 'stream', state: 'LISTEN', inode: 10, name: '/run/php/php-fpm.sock', rqueue: 512, wqueue: 511, peer: 0, fileInode: 9, netns: 0, queued: [21] },
  ];
  s.unixSockets = socks;
  s.owners.set(21, [{ pid: 812, fd: 40 }]);
  return s;
}

test('rows: listeners first, the queue and backlog as ss -xl shows them, with whose connections wait', () => {
  const rows = unixRows(scene());
  assert.deepEqual(rows.map((r) => [r.netid, r.state, r.name, r.recvQ, r.sendQ]), [
    ['u_str', 'LISTEN', '/run/php/php-fpm.sock', 512, 511],
    ['u_dgr', 'CLOSE', '/dev/log\x1b[2J', 0, 0],
    ['u_str', 'ESTABLISHED', null, 0, 0],
  ]);
  assert.deepEqual(rows[0].queuedFrom, [{ pid: 812, name: 'nginx', connections: 512 }]);
  // --pid 812: its own socket and the listener its connections wait in.
  assert.deepEqual(unixRows(scene(), { pid: 812 }).map((r) => r.inode), [10, 21]);
  assert.deepEqual(unixRows(scene(), { state: 'LISTEN' }).map((r) => r.inode), [10]);
});

test('the table: a full listener in red, names escaped, counts per type and state', () => {
  const out = renderUnixTable(unixRows(scene()), { color: false, columns: 120 });
  assert.match(out, /^Netid +State +Recv-Q +Send-Q +Local +Inode +Peer +Process$/m);
  assert.match(out, /^u_str +LISTEN +512 +511 +\/run\/php\/php-fpm\.sock +10 +\* +900\/php-fpm8\.2 fd=5 ← queued: 812\/nginx×512$/m);
  assert.ok(out.includes('/dev/log\\x1b[2J'), 'a name from the host is shown escaped');
  assert.ok(!out.includes('\x1b[2J'));
  assert.match(out, /3 unix sockets: 1 u_str LISTEN, 1 u_dgr UNCONN, 1 u_str ESTAB\n$/);
  assert.match(renderUnixTable(unixRows(scene()), { color: true, columns: 120 }), /\x1b\[31m +512\x1b\[0m/);
  assert.equal(renderUnixTable([], { color: false, columns: 80 }), 'No unix-domain sockets match.\n');
});
