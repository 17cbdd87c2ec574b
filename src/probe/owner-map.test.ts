/** OwnerMap must behave as the Map<number, Owner[]> it replaces, under any sequence of operations. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { OwnerMap } from './owner-map.js';
import type { Owner } from '../snapshot/types.js';

type Op = { kind: 'add'; inode: number; pid: number; fd: number } | { kind: 'set'; inode: number; owners: Owner[] } | { kind: 'delete'; inode: number } | { kind: 'get'; inode: number } | { kind: 'clear' };

// Few distinct inodes so that adds, deletes and re-adds meet; some beyond 2^32 (a fixture's digits).
const inode = fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(2 ** 31, 2 ** 32 + 5, 4294967297));
const owner = fc.record({ pid: fc.integer({ min: 1, max: 9 }), fd: fc.integer({ min: 0, max: 9 }) });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('add' as const), inode, pid: fc.integer({ min: 1, max: 9 }), fd: fc.integer({ min: 0, max: 9 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('set' as const), inode, owners: fc.array(owner, { maxLength: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), inode }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('get' as const), inode }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const) }) },
);

/** What the snapshot did with a Map: append a holder, keeping holders in (pid, fd) order. */
function addToMap(m: Map<number, Owner[]>, inode: number, pid: number, fd: number): void {
  const list = m.get(inode);
  if (!list) m.set(inode, [{ pid, fd }]);
  else {
    list.push({ pid, fd });
    list.sort((a, b) => a.pid - b.pid || a.fd - b.fd);
  }
}

test('property: every operation answers as a Map does, and iteration keeps insertion order', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
      const m = new Map<number, Owner[]>();
      const o = new OwnerMap();
      for (const x of ops) {
        if (x.kind === 'add') {
          addToMap(m, x.inode, x.pid, x.fd);
          o.addHolder(x.inode, x.pid, x.fd);
        } else if (x.kind === 'set') {
          m.set(x.inode, x.owners.map((w) => ({ ...w })));
          o.set(x.inode, x.owners.map((w) => ({ ...w })));
        } else if (x.kind === 'delete') assert.equal(o.delete(x.inode), m.delete(x.inode));
        else if (x.kind === 'get') assert.deepEqual(o.get(x.inode), m.get(x.inode));
        else {
          m.clear();
          o.clear();
        }
        assert.equal(o.size, m.size);
      }
      assert.deepEqual([...o], [...m]);
      assert.deepEqual([...o.keys()], [...m.keys()]);
      assert.deepEqual([...o.values()], [...m.values()]);
      for (const k of m.keys()) {
        assert.equal(o.has(k), true);
        const pids: number[] = [];
        o.forEachPid(k, (p) => pids.push(p));
        assert.deepEqual(pids, [...new Set(m.get(k)!.map((w) => w.pid))]);
      }
      assert.equal(o.has(999), false);
      assert.equal(o.forEachPid(999, () => assert.fail('no holder')), false);
    }),
    { numRuns: 300 },
  );
});

test('get returns the same array each time, and a change to it is kept (as with a Map)', () => {
  const o = new OwnerMap();
  o.addHolder(7, 100, 3);
  const a = o.get(7)!;
  assert.equal(o.get(7), a);
  a.push({ pid: 101, fd: 4 });
  assert.deepEqual(o.get(7), [{ pid: 100, fd: 3 }, { pid: 101, fd: 4 }]);
});

test('100k inodes: grows, and finds every one', () => {
  const o = new OwnerMap();
  for (let i = 0; i < 100_000; i++) o.addHolder(3_500_000 + 3 * i, 1000 + (i % 14), i);
  assert.equal(o.size, 100_000);
  for (let i = 0; i < 100_000; i += 997) assert.deepEqual(o.get(3_500_000 + 3 * i), [{ pid: 1000 + (i % 14), fd: i }]);
  assert.equal(o.get(3_500_001), undefined);
});

test('a socket 20,000 forked processes hold (some twice): every pid once, in order, first fds flagged', () => {
  const o = new OwnerMap();
  for (let pid = 100; pid < 20_100; pid++) {
    o.addHolder(7, pid, 3);
    if (pid % 1000 === 0) o.addHolder(7, pid, 9); // a dup()ed fd of the same socket
  }
  o.addHolder(7, 50, 4); // out of order: sorted in
  const pids: number[] = [];
  o.forEachPid(7, (p) => pids.push(p));
  assert.equal(pids.length, 20_001);
  assert.equal(pids[0], 50);
  assert.ok(pids.every((p, i) => i === 0 || p > pids[i - 1]));
  let firsts = 0;
  let seconds = 0;
  o.markHolders(7, 1, (_pid, first) => (first ? firsts++ : seconds++));
  assert.deepEqual([firsts, seconds], [20_001, 20]);
  assert.deepEqual(o.get(7)!.slice(0, 2), [{ pid: 50, fd: 4 }, { pid: 100, fd: 3 }]);
});
