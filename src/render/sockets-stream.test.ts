/**
 * `sockdoc sockets` streamed: the rows come from the socket columns one at a time (a reused
 * cursor), the table and the JSON are made a few thousand rows at a time. The streamed bytes must
 * be exactly those of the objects' rendering (the documented JSON is JSON.stringify of the rows).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderSocketsTable, selectSockets, socketsJsonChunks, socketsTableChunks, socketsToRows, type SocketFilter } from './sockets.js';
import { seedDiagnosis, sock } from './test-data.js';
import { listener, proc, snapshot } from '../testing/snapshot-builder.js';
import { SocketTable, withSocketTable } from '../snapshot/socket-table.js';
import type { Snapshot, TcpSocket } from '../snapshot/types.js';
import { writePieces, type Io } from '../cli/io.js';

const FILTERS: SocketFilter[] = [{}, { state: 'CLOSE_WAIT' }, { port: 8889 }, { pid: 37482 }, { pid: 37482, state: 'ESTABLISHED', port: 8889 }, { state: 'LISTEN' }, { pid: 999999 }];

/** A host whose strings are hostile: names with quotes, backslashes, control and bidi characters, a namespace of two, drops and waits measured. */
function hostile(): Snapshot {
  const evil = 'we"ird\\na\u0007me\u202e\n';
  const l = listener({ address: '::', port: 8889, pids: [7, 8], acceptQueue: 3, backlog: 2 });
  const other = listener({ address: '10.0.0.1', port: 80, pids: [9], netns: 4026532000, backlog: null, acceptQueue: 0 });
  const s = snapshot({
    processes: [proc({ pid: 7, name: evil, open: 10, soft: 1024 }), proc({ pid: 8, name: 'ok', open: 10, soft: 1024 })],
    listeners: [l, other],
  });
  s.namespaces.push({ ...s.namespaces[0], inode: 4026532000, kind: 'netns', name: 'tenant "a"\u001b[2J' });
  // Past ASCII: its bytes are more than its length, and the Netns column pads by the length.
  s.namespaces.push({ ...s.namespaces[0], inode: 4026532002, kind: 'netns', name: 'cåfé-ü' });
  const sockets: TcpSocket[] = [
    sock({ state: 'LISTEN', family: 6, localAddress: '::', localPort: 8889, rxQueue: 3, inode: l.inode, drops: 41 }),
    sock({ state: 'LISTEN', family: 4, localAddress: '10.0.0.1', localPort: 80, inode: other.inode, netns: 4026532000 }),
    sock({ state: 'ESTABLISHED', family: 6, localAddress: '::ffff:127.0.0.1', localPort: 8889, remoteAddress: '::ffff:127.0.0.1', remotePort: 50000, waitedMs: 4100 }),
    sock({ state: 'CLOSE_WAIT', family: 6, localAddress: '::1', localPort: 8889, remoteAddress: '::1', remotePort: 50001, rxQueue: 1 }),
    sock({ state: 'SYN_RECV', family: 4, localAddress: '127.0.0.1', localPort: 8889, remoteAddress: '127.0.0.1', remotePort: 50002 }),
    sock({ state: 'ESTABLISHED', family: 4, localAddress: '127.0.0.1', localPort: 50003, remoteAddress: '127.0.0.1', remotePort: 8889, txQueue: 12, inode: 9001 }),
    sock({ state: 'TIME_WAIT', family: 4, localAddress: '10.0.0.1', localPort: 80, remoteAddress: '10.0.0.2', remotePort: 1, netns: 4026532000 }),
    sock({ state: 'ESTABLISHED', family: 4, localAddress: '10.0.0.3', localPort: 4242, remoteAddress: '10.0.0.4', remotePort: 65535, rxQueue: 4294967295, txQueue: 2147483648, inode: 4294967295, netns: 4026532002 }),
  ];
  s.owners.set(9001, [{ pid: 7, fd: 5 }, { pid: 8, fd: 6 }, { pid: 7, fd: 9 }, { pid: 31337, fd: 1 }]);
  s.owners.set(4294967295, [{ pid: 8, fd: 2147483647 }]);
  s.sockets = sockets;
  return s;
}

/** The same snapshot with its sockets as columns only (as a live read has them: no objects until asked). */
function asColumns(s: Snapshot): Snapshot {
  const table = SocketTable.fromSockets(s.sockets);
  const copy = { ...s } as Partial<Snapshot>;
  delete copy.sockets;
  return withSocketTable(copy, table) as Snapshot;
}

for (const [name, make] of [['seed', () => seedDiagnosis().snapshot], ['hostile', hostile]] as const) {
  test(`${name}: streamed JSON is byte for byte JSON.stringify of the rows, for every filter, from objects or columns`, () => {
    for (const filter of FILTERS) {
      const expected = JSON.stringify(socketsToRows(make(), filter));
      for (const s of [make(), asColumns(make())]) {
        assert.equal([...socketsJsonChunks(selectSockets(s, filter))].join(''), expected, JSON.stringify(filter));
        assert.equal([...socketsJsonChunks(selectSockets(s, filter), 2)].join(''), expected, 'pieces of 2 rows join to the same');
      }
    }
  });

  test(`${name}: the streamed table (one reused row) is the table of the row objects, in colour or not`, () => {
    for (const filter of FILTERS) {
      for (const color of [false, true]) {
        const expected = renderSocketsTable(socketsToRows(make(), filter), { color, columns: 100 });
        const rows = selectSockets(asColumns(make()), filter);
        assert.equal([...socketsTableChunks(rows, { color, columns: 100 })].join(''), expected, `${JSON.stringify(filter)} color ${color}`);
      }
    }
  });
}

test('hostile strings: escaped in the table (no raw control or bidi character), valid JSON that gives them back', () => {
  const rows = selectSockets(asColumns(hostile()));
  const text = [...socketsTableChunks(rows, { color: false, columns: 100 })].join('');
  assert.doesNotMatch(text.replace(/\n/g, ''), /[\x00-\x1f\u202e]/);
  assert.match(text, /^tenant "a"\\x1b\[2J +TIME_WAIT/m);
  // The name's literal backslash before n shows as \\ (src/safety/terminal.ts), its real newline as \n.
  assert.match(text, /7\/we"ird\\\\na\\x07me\\u202e\\n fd=5,9, 8\/ok fd=6, 31337 fd=1/);
  const json = JSON.parse([...socketsJsonChunks(rows)].join('')) as Array<{ owners: Array<{ name: string | null }>; namespace: string; drops?: number; waitedMs?: number }>;
  assert.equal(json.length, 8);
  assert.ok(json.some((r) => r.owners.some((o) => o.name === 'we"ird\\na\u0007me\u202e\n')));
  assert.ok(json.some((r) => r.namespace === 'tenant "a"\u001b[2J'));
  assert.deepEqual(json.filter((r) => r.drops !== undefined).map((r) => r.drops), [41]);
  assert.deepEqual(json.filter((r) => r.waitedMs !== undefined).map((r) => r.waitedMs), [4100]);
});

test('the cursor reuses one row object; row(k) makes a new one each time', () => {
  const rows = selectSockets(asColumns(hostile()));
  assert.equal(rows.at(0), rows.at(1));
  assert.notEqual(rows.row(0), rows.row(0));
  assert.deepEqual(rows.row(3), socketsToRows(hostile())[3]);
});

test('a big listing is made piece by piece as the reader takes it, and stops when the reader goes away', async () => {
  const n = 50_000;
  const s = snapshot({ processes: [proc({ pid: 5, name: 'srv', open: n, soft: 65536 })] });
  const sockets: TcpSocket[] = [];
  for (let i = 0; i < n; i++) sockets.push(sock({ state: 'ESTABLISHED', localAddress: '127.0.0.1', localPort: 5000, remoteAddress: '127.0.0.2', remotePort: 10000 + (i % 50000), inode: 1000 + i }));
  for (let i = 0; i < n; i++) s.owners.set(1000 + i, [{ pid: 5, fd: 10 + i }]);
  s.sockets = sockets;
  const rows = selectSockets(asColumns(s));
  for (const [what, pieces] of [['json', socketsJsonChunks(rows)], ['table', socketsTableChunks(rows, { color: false, columns: 100 })]] as const) {
    let taken = 0;
    let longest = 0;
    const io: Io = {
      stdout: () => assert.fail('pieces go through stdoutPiece'),
      stderr: () => undefined,
      env: {},
      isTTY: false,
      stderrIsTTY: false,
      columns: 100,
      stdoutPiece: async (t) => {
        longest = Math.max(longest, t.length);
        return ++taken < 3; // the reader closes after the third piece
      },
    };
    assert.equal(await writePieces(io, pieces), false, what);
    assert.equal(taken, 3, `${what}: no piece is made after the reader went away`);
    assert.ok(longest < 1_000_000, `${what}: a piece is a few thousand rows (${longest} characters), not the listing`);
  }
});
