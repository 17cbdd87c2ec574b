import { test } from 'node:test';
import assert from 'node:assert/strict';
import { proc, snapshot, unixListener } from '../testing/snapshot-builder.js';
import type { UnixSocket } from '../snapshot/types.js';
import { renderUnixTable, selectUnix, unixJsonChunks, unixRows, unixTableChunks } from './unix-sockets.js';
import { terminalGuard } from '../safety/terminal.js';

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

/** The scene plus a second namespace, hostile names and an unowned listener: every field's shape. */
function wider() {
  const s = scene();
  s.namespaces.push({ ...s.namespaces[0], inode: 4026532000, kind: 'netns', name: 'ténant "b"\u001b[2J' });
  s.processes.push(proc({ pid: 77, name: 'we"ird\\\u202e' }));
  s.unixSockets!.push(
    { type: 'seqpacket', state: 'LISTEN', inode: 40, name: '@abs\u0000tract', rqueue: null, wqueue: null, peer: null, fileInode: null, netns: 4026532000 },
    { type: 'stream', state: 'ESTABLISHED', inode: 41, name: '/run/é "q".sock', rqueue: 3, wqueue: 4294967295, peer: 42, fileInode: null, netns: 4026532000 },
  );
  s.owners.set(41, [{ pid: 77, fd: 3 }, { pid: 812, fd: 9 }, { pid: 77, fd: 4 }, { pid: 31337, fd: 1 }]);
  return s;
}

test('streamed: the JSON is byte for byte JSON.stringify of the row objects, and the table that of the rows, for every filter', () => {
  for (const make of [scene, wider]) {
    for (const filter of [{}, { state: 'LISTEN' as const }, { pid: 812 }, { pid: 77 }, { pid: 999999 }]) {
      const rows = unixRows(make(), filter);
      assert.equal([...unixJsonChunks(selectUnix(make(), filter))].join(''), JSON.stringify(rows), JSON.stringify(filter));
      assert.equal([...unixJsonChunks(selectUnix(make(), filter), 1)].join(''), JSON.stringify(rows), 'pieces of one row join to the same');
      for (const color of [false, true]) {
        const table = [...unixTableChunks(selectUnix(make(), filter), { color, columns: 120 })].join('');
        assert.equal(table, renderUnixTable(rows, { color, columns: 120 }));
        // Every cell escaped by the table: the whole-report guard of before would change nothing.
        assert.equal(terminalGuard(table), table);
      }
    }
  }
  const text = renderUnixTable(unixRows(wider()), { color: false, columns: 120 });
  assert.match(text, /^ténant "b"\\x1b\[2J +u_seq +LISTEN +\? +\? +@abs\\x00tract +40 +\? +-$/m);
  assert.match(text, /77\/we"ird\\\\\\u202e fd=3,4, 812\/nginx fd=9, 31337 fd=1$/m);
});

test('the cursor reuses one row object; row(k) makes a new one each time, queuedFrom its own copy', () => {
  const rows = selectUnix(wider());
  assert.equal(rows.at(0), rows.at(1));
  assert.notEqual(rows.row(0), rows.row(0));
  assert.notEqual(rows.row(0).queuedFrom, rows.row(0).queuedFrom);
  assert.deepEqual(rows.row(0).queuedFrom, [{ pid: 812, connections: 512, name: 'nginx' }]);
});
