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

test('sort order over namespaces, every key tied somewhere, ties by inode, under filters (rows a filter keeps ranked alone)', () => {
  // A small pseudo-random host (fixed seed): 3 namespaces (one not in the snapshot's list), few
  // distinct values per key so most keys tie somewhere, duplicate 4-tuples told apart by inode.
  let seed = 7;
  const rnd = (n: number): number => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) % n;
  };
  const addrs = ['10.0.0.10', '10.0.0.9', '::1', '::ffff:10.0.0.1', '0.0.0.0', '::'];
  const s = snapshot({});
  s.namespaces.push({ ...s.namespaces[0], inode: 4026532001, name: 'b' }, { ...s.namespaces[0], inode: 4026532000, name: 'a' });
  for (let i = 0; i < 3000; i++) {
    const local = addrs[rnd(addrs.length)];
    s.sockets.push(sock({ state: TCP_STATES[rnd(TCP_STATES.length)], localAddress: local, localPort: [80, 8080, 0][rnd(3)], remoteAddress: addrs[rnd(addrs.length)], remotePort: rnd(4), inode: rnd(5) === 0 ? 0 : 1 + rnd(100000), netns: [0, 4026532000, 4026532001, 99][rnd(4)], family: local.includes(':') ? 6 : 4 }));
  }
  const nsRank = new Map(s.namespaces.map((n, i) => [n.inode, i]));
  const rank = new Map(TCP_STATES.map((st, i) => [st, st === 'LISTEN' ? -1 : i]));
  const parts = (r: SocketRow) => {
    const [, la, lp] = /^\[?(.*?)\]?:(\d+)$/.exec(r.local)!;
    const [, ra, rp] = /^\[?(.*?)\]?:(\d+)$/.exec(r.remote)!;
    return [nsRank.get(r.netns) ?? 0, r.state === 'LISTEN' ? 0 : 1, Number(lp), addressSortKey(la), rank.get(r.state)!, addressSortKey(ra), Number(rp), r.inode] as const;
  };
  const compare = (a: SocketRow, b: SocketRow): number => {
    const x = parts(a);
    const y = parts(b);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
  };
  for (const filter of [{}, { state: 'ESTABLISHED' as const }, { port: 80 }, { port: 3 }]) {
    const rows = socketsToRows(s, filter);
    assert.ok(rows.length > 0, JSON.stringify(filter));
    const expected = [...rows].sort(compare);
    assert.deepEqual(rows.map(parts), expected.map(parts), JSON.stringify(filter));
  }
});
