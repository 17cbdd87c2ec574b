import test from 'node:test';
import assert from 'node:assert/strict';
import { MIN_PER_SCRAPE, NetnsCarry, unreadNetns } from './netns-carry.js';
import { emptyNetnsData, type NetnsData, type NetnsTarget } from '../probe/netns-read.js';

/** Namespaces 1..n; each read costs `costMs` of the fake clock (a batch: its namespaces one after another). */
function rig(n: number, opts: { budgetMs: number; costMs?: number; maxCarried?: number; maxAgeMs?: number; listeners?: ReadonlySet<number> }) {
  let clock = 1_000_000;
  const reads: number[][] = [];
  const targets: NetnsTarget[] = Array.from({ length: n }, (_, i) => ({ inode: i + 1, pids: [], namedPath: `/run/netns/t${i + 1}`, label: `netns t${i + 1}` }));
  const ids = new Map(targets.map((t) => [t.inode, `id-${t.inode}`]));
  const carry = new NetnsCarry({
    budgetMs: opts.budgetMs,
    maxCarried: opts.maxCarried,
    maxAgeMs: opts.maxAgeMs,
    now: () => clock,
    identity: (t) => ids.get(t.inode)!,
    read: async (batch) => {
      reads.push(batch.map((t) => t.inode));
      clock += (opts.costMs ?? 10) * batch.length;
      return batch.map((t): NetnsData => ({ ...emptyNetnsData(t), socketSource: 'sock_diag', counters: { 'TcpExt.ListenOverflows': clock }, notes: [`read at ${clock}`] }));
    },
  });
  return {
    carry,
    targets,
    ids,
    reads,
    advance: (ms: number) => (clock += ms),
    now: () => clock,
    scrape: () => carry.read(targets, clock),
  };
}

test('a scrape with no budget reads a few namespaces, marks the others unread, and the next scrapes reach them, oldest first', async () => {
  const r = rig(10, { budgetMs: 0 });
  const first = await r.scrape();
  assert.equal(r.carry.freshness.fresh, MIN_PER_SCRAPE, 'at least one batch, whatever the budget');
  assert.deepEqual([...r.carry.freshness.unread].sort((a, b) => a - b), [5, 6, 7, 8, 9, 10]);
  for (const inode of r.carry.freshness.unread) {
    const d = first[inode - 1];
    assert.equal(d.partial, true, 'nothing of it was read: partial, never healthy');
    assert.equal(d.socketSource, null);
    assert.match(d.notes[0], /not read by this scrape/);
  }
  assert.deepEqual(first.map((d) => d.inode), r.targets.map((t) => t.inode), "results in the targets' order");
  r.advance(1000);
  await r.scrape();
  assert.deepEqual(r.reads[1], [5, 6, 7, 8], 'the ones never read come first');
  assert.deepEqual([...r.carry.freshness.carried.keys()].sort((a, b) => a - b), [1, 2, 3, 4], 'the ones read before are carried');
  assert.deepEqual([...r.carry.freshness.unread].sort((a, b) => a - b), [9, 10]);
  r.advance(1000);
  const third = await r.scrape();
  assert.deepEqual(r.reads[2], [9, 10, 1, 2], 'then the oldest read');
  assert.equal(r.carry.freshness.unread.size, 0, 'every namespace read within ceil(10 / 4) scrapes');
  // A carried namespace is its last read, with when it was made.
  const at = r.carry.freshness.carried.get(5)!;
  assert.ok(r.now() - at >= 1000, 'read a scrape ago');
  assert.deepEqual(third[4].notes, [`read at ${third[4].counters!['TcpExt.ListenOverflows']}`]);
});

test('a budget reads as many as fit, in batches sized by the measured cost; the rest are carried', async () => {
  const r = rig(400, { budgetMs: 1000, costMs: 5 });
  await r.scrape();
  const read = r.carry.freshness.fresh;
  assert.ok(read >= 150 && read <= 230, `${read} namespaces read in a 1000 ms budget at 5 ms each`);
  assert.ok(r.reads.length > 1, 'several batches');
  assert.equal(r.carry.freshness.unread.size, 400 - read);
  // Every namespace within a bounded number of scrapes.
  for (let i = 0; i < 4; i++) {
    r.advance(1000);
    await r.scrape();
  }
  const seen = new Set(r.reads.flat());
  assert.equal(seen.size, 400, 'all read within five scrapes');
  assert.equal(r.carry.freshness.unread.size, 0);
});

test('among namespaces of the same age, those that held listeners or a finding are read first', async () => {
  const r = rig(8, { budgetMs: 10_000 });
  await r.scrape();
  assert.deepEqual(r.reads.flat(), [1, 2, 3, 4, 5, 6, 7, 8], 'nothing known yet: the targets in order');
  r.carry.markImportant([7, 8]);
  r.advance(1000);
  await r.scrape();
  const second = r.reads.slice(1).flat();
  assert.deepEqual(second.slice(0, 2), [7, 8], 'the namespaces a finding was about lead the next round');
  assert.deepEqual(second.slice(2), [1, 2, 3, 4, 5, 6]);
});

test('a namespace whose inode was given to a new one is read, never shown the old data; carried reads are bounded by age and count', async () => {
  const r = rig(6, { budgetMs: 10_000, maxAgeMs: 5000, maxCarried: 3 });
  await r.scrape();
  assert.ok(r.carry.size <= 3, `${r.carry.size} kept of 6: the count bound`);
  // The reader may now read only one batch: what it cannot read is carried, if kept and not too old.
  const slow = new NetnsCarry({ budgetMs: 0, now: r.now, identity: (t) => r.ids.get(t.inode)!, maxAgeMs: 5000, read: async (b) => b.map((t) => emptyNetnsData(t)) });
  await slow.read(r.targets, r.now());
  r.ids.set(6, 'id-6-reborn');
  await slow.read(r.targets, r.now());
  assert.ok(!slow.freshness.carried.has(6), 'a re-used inode is not carried');
  r.advance(6000);
  await slow.read(r.targets, r.now());
  assert.equal(slow.freshness.carried.size, 0, 'reads older than maxAgeMs are not carried');
  assert.equal(slow.freshness.unread.size, 6 - MIN_PER_SCRAPE);
  const gone = r.targets.slice(0, 2);
  await slow.read(gone, r.now());
  assert.ok(slow.size <= 2, 'namespaces that are gone are forgotten');
});

test('unreadNetns says why, names the budget, and is partial with nothing read', () => {
  const d = unreadNetns({ inode: 9, pids: [3], namedPath: null, label: 'docker container web' }, 250);
  assert.equal(d.partial, true);
  assert.equal(d.table.length, 0);
  assert.equal(d.counters, null);
  assert.match(d.notes[0], /^docker container web: not read by this scrape: .*--netns-budget 250 ms.*counters are unknown/);
});

test('namespaces found later in the scrape (through a socket) are read within what is left of its deadline, the rest unread; what was kept stays', async () => {
  const r = rig(6, { budgetMs: 0 });
  await r.scrape();
  const kept = r.carry.size;
  const found: NetnsTarget[] = Array.from({ length: 10 }, (_, i) => ({ inode: 100 + i, pids: [], namedPath: `/proc/self/fd/${20 + i}`, label: `netns ${100 + i} (no process inside)` }));
  const got = await r.carry.readFound(found);
  assert.deepEqual(got.map((d) => d.inode), found.map((t) => t.inode));
  assert.equal(got.filter((d) => d.socketSource === 'sock_diag').length, MIN_PER_SCRAPE, 'one batch, the deadline being spent');
  assert.deepEqual([...r.carry.freshness.unread].filter((i) => i >= 100).sort((a, b) => a - b), [104, 105, 106, 107, 108, 109]);
  assert.equal(r.carry.freshness.fresh, 2 * MIN_PER_SCRAPE);
  assert.equal(r.carry.size, kept + MIN_PER_SCRAPE, 'the planned namespaces kept are not forgotten; the found ones read are kept');
  // The next scrape: its plan does not hold them (no process, no name), they are found again.
  r.advance(1000);
  await r.scrape();
  await r.carry.readFound(found);
  assert.deepEqual(r.reads.at(-1), [104, 105, 106, 107], 'those never read first');
  assert.deepEqual([...r.carry.freshness.carried.keys()].filter((i) => i >= 100).sort((a, b) => a - b), [100, 101, 102, 103], 'the ones read last time are carried');
  // With budget left, all of them.
  const wide = rig(2, { budgetMs: 10_000 });
  await wide.scrape();
  const all = await wide.carry.readFound(found);
  assert.equal(all.filter((d) => d.socketSource === 'sock_diag').length, 10);
});
