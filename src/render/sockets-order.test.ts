/** The numeric sort of socketsToRows must order rows exactly as the string keys it replaced. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressSortKey, socketsToRows, type SocketRow } from './sockets.js';
import { sock } from './test-data.js';
import { snapshot } from '../testing/snapshot-builder.js';
import { TCP_STATES } from '../snapshot/types.js';

test('sort order: the (listener?, local port, local address, state, peer address, peer port, inode) tuple, addresses numerically', () => {
  const addrs = ['10.0.0.10', '10.0.0.9', '::1', '2001:db8::a', '2001:db8::1:0', '::ffff:10.0.0.1', '1.2.3.4', 'fe80::1'];
  const states = ['ESTABLISHED', 'TIME_WAIT', 'CLOSE_WAIT', 'LISTEN', 'SYN_RECV'] as const;
  const s = snapshot({});
  let inode = 1;
  for (let i = 0; i < 400; i++) {
    const local = addrs[(i * 7) % addrs.length];
    const remote = addrs[(i * 3) % addrs.length];
    s.sockets.push(sock({ state: states[i % states.length], localAddress: local, localPort: [80, 8080, 443][i % 3], remoteAddress: remote, remotePort: 1000 + ((i * 37) % 50), inode: i % 4 ? inode++ : 0, family: local.includes(':') ? 6 : 4 }));
  }
  const rank = new Map(TCP_STATES.map((st, i) => [st, st === 'LISTEN' ? -1 : i]));
  const key = (r: SocketRow): string => {
    const [, la, lp] = /^\[?(.*?)\]?:(\d+)$/.exec(r.local)!;
    const [, ra, rp] = /^\[?(.*?)\]?:(\d+)$/.exec(r.remote)!;
    const n = (v: number | string, w: number) => String(v).padStart(w, '0');
    return [r.state === 'LISTEN' ? 0 : 1, n(lp, 5), addressSortKey(la).padEnd(42), n(rank.get(r.state)! + 1, 2), addressSortKey(ra).padEnd(42), n(rp, 5), n(r.inode, 12)].join('|');
  };
  const rows = socketsToRows(s);
  assert.equal(rows.length, 400);
  const expected = [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  assert.deepEqual(rows.map(key), expected.map(key));
});
