/** SocketTable holds the same sockets as TcpSocket[]; the lazy `sockets` of a live snapshot follows its table until replaced. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { NO_VALUE, SocketTable, socketCount, socketTableOf, withSocketTable, withSocketsWhere } from './socket-table.js';
import { TCP_STATES, type TcpSocket } from './types.js';

const address = fc.constantFrom('127.0.0.1', '10.0.0.5', '::1', '::', '::ffff:127.0.0.1', '0.0.0.0');
// Values past 32 bits appear only in a damaged or hostile capture: they must survive unwrapped.
const num = fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 0, max: 2 ** 32 - 1 }) }, { weight: 1, arbitrary: fc.constantFrom(2 ** 32, 4294967297, 2 ** 40) });
const socket: fc.Arbitrary<TcpSocket> = fc.record({
  family: fc.constantFrom(4 as const, 6 as const),
  state: fc.constantFrom(...TCP_STATES),
  localAddress: address,
  localPort: fc.integer({ min: 0, max: 65535 }),
  remoteAddress: address,
  remotePort: fc.integer({ min: 0, max: 65535 }),
  txQueue: num,
  rxQueue: num,
  uid: num,
  inode: num,
  netns: num,
}).map((s) => ({ ...s })); // fc.record's objects have no prototype; sockets from /proc do

test('fromSockets then toArray gives the same sockets, in order', () => {
  fc.assert(
    fc.property(fc.array(socket, { maxLength: 40 }), (sockets) => {
      assert.deepEqual(SocketTable.fromSockets(sockets).toArray(), sockets);
    }),
  );
});

test('concat of tables equals the table of the concatenated sockets (addresses listed once)', () => {
  fc.assert(
    fc.property(fc.array(fc.array(socket, { maxLength: 15 }), { maxLength: 4 }), (parts) => {
      const joined = SocketTable.concat(parts.map((p) => SocketTable.fromSockets(p)));
      assert.deepEqual(joined.toArray(), parts.flat());
      assert.equal(new Set(joined.addresses).size, joined.addresses.length);
    }),
  );
});

test('32-bit columns unless a value needs more', () => {
  const s: TcpSocket = { family: 4, state: 'ESTABLISHED', localAddress: '127.0.0.1', localPort: 1, remoteAddress: '127.0.0.1', remotePort: 2, txQueue: 0, rxQueue: 0, uid: 0, inode: 7, netns: 1 };
  assert.ok(SocketTable.fromSockets([s]).inode instanceof Uint32Array);
  const wide = SocketTable.fromSockets([s, { ...s, inode: 4294967297 }]);
  assert.ok(wide.inode instanceof Float64Array);
  assert.equal(wide.at(1).inode, 4294967297);
});

test('withSocketTable: sockets built on first read, columns read without building them; an assigned array wins', () => {
  const sockets: TcpSocket[] = [
    { family: 4, state: 'LISTEN', localAddress: '0.0.0.0', localPort: 80, remoteAddress: '0.0.0.0', remotePort: 0, txQueue: 0, rxQueue: 3, uid: 0, inode: 11, netns: 5 },
    { family: 6, state: 'CLOSE_WAIT', localAddress: '::1', localPort: 80, remoteAddress: '::1', remotePort: 40000, txQueue: 0, rxQueue: 1, uid: 0, inode: 0, netns: 5 },
  ];
  const table = SocketTable.fromSockets(sockets);
  const x = withSocketTable({ other: 1 }, table);
  assert.equal(socketTableOf(x), table);
  assert.equal(socketCount(x), 2);
  assert.ok(Object.getOwnPropertyDescriptor(x, 'sockets')?.get, 'not built by socketTableOf or socketCount');
  assert.deepEqual(Object.keys(x), ['other', 'sockets'], 'the table is not enumerable');
  assert.deepEqual(x.sockets, sockets);
  assert.equal(x.sockets, x.sockets, 'built once');
  x.sockets.pop(); // edited in place: the columns follow the array from now on
  assert.equal(socketTableOf(x).length, 1);
  x.sockets = [];
  assert.equal(socketTableOf(x).length, 0);
  assert.equal(socketCount(x), 0);
});

test('withSocketsWhere narrows through the table when the array was never built, by the array otherwise; same answer', () => {
  fc.assert(
    fc.property(fc.array(socket, { maxLength: 30 }), fc.integer({ min: 0, max: 3 }), (sockets, pick) => {
      const keep = (s: { netns: number }) => s.netns % 4 === pick;
      const lazy = withSocketTable({ partial: false }, SocketTable.fromSockets(sockets));
      const narrowed = withSocketsWhere(lazy, keep, { partial: true });
      assert.ok(Object.getOwnPropertyDescriptor(lazy, 'sockets')?.get, 'the original array is not built');
      assert.equal(narrowed.partial, true);
      assert.equal(lazy.partial, false);
      const plain = { partial: false, sockets };
      assert.deepEqual(narrowed.sockets, withSocketsWhere(plain, keep, { partial: true }).sockets);
      assert.deepEqual(narrowed.sockets, sockets.filter(keep));
    }),
  );
});

test('the optional drops and waitedMs columns: absent from a /proc table, carried through concat, select and at()', () => {
  const plain = SocketTable.fromSockets([{ family: 4, state: 'LISTEN', localAddress: '0.0.0.0', localPort: 80, remoteAddress: '0.0.0.0', remotePort: 0, txQueue: 0, rxQueue: 0, uid: 0, inode: 9, netns: 1 }]);
  assert.equal(plain.drops, null);
  assert.equal(plain.waitedMs, null);
  const diag = SocketTable.fromSockets([
    { family: 6, state: 'LISTEN', localAddress: '::', localPort: 81, remoteAddress: '::', remotePort: 0, txQueue: 0, rxQueue: 1, uid: 0, inode: 10, netns: 2, drops: 7 },
    { family: 6, state: 'ESTABLISHED', localAddress: '::1', localPort: 81, remoteAddress: '::1', remotePort: 5000, txQueue: 0, rxQueue: 0, uid: 0, inode: 0, netns: 2, waitedMs: 4100 },
  ]);
  const joined = SocketTable.concat([plain, diag]);
  assert.deepEqual([...joined.drops!], [NO_VALUE, 7, NO_VALUE]);
  assert.deepEqual(joined.toArray().map((s) => [s.drops, s.waitedMs]), [[undefined, undefined], [7, undefined], [undefined, 4100]]);
  const picked = joined.select((i) => i !== 1);
  assert.deepEqual(picked.toArray().map((s) => s.waitedMs), [undefined, 4100]);
  assert.equal(joined.select(() => true).drops?.length, 3);
  assert.equal(SocketTable.concat([plain, plain]).waitedMs, null, 'no part knows them: still unknown');
});
