/**
 * Socket inode -> the (pid, fd) pairs holding it: a Map<number, Owner[]> built for 100k+ sockets.
 *
 * Why not a Map: one socket is one entry, an array and an Owner object, and the snapshot then
 * looks every socket up again to count states per process. At 100k sockets that was ~100 ms to
 * build and ~65 ms to look up (V8 OrderedHashMap growth, an object per socket, their garbage),
 * a third of a `sockdoc serve` scrape. Here keys sit in an open-addressing table of typed arrays,
 * a single holder (nearly every socket) is two numbers, and the Owner[] a caller asks for is made
 * on the first get() and kept, so every get() of one key returns the same array, as a Map would.
 *
 * It is a Map in every observable way that matters here: insertion order, get/has/set/delete,
 * size, iteration. `forEachPid` is the allocation-free path for hot loops.
 */
import type { Owner } from '../snapshot/types.js';

const EMPTY = -1;
const DELETED = -2;

export class OwnerMap implements Map<number, Owner[]> {
  /** slot -> entry index, EMPTY or DELETED. */
  private slots = new Int32Array(1024).fill(EMPTY);
  /** Per entry (insertion order): its key (NaN once deleted), first holder, and the full list when made. */
  private entryKey = new Float64Array(512);
  private pid1 = new Float64Array(512);
  private fd1 = new Float64Array(512);
  private lists: Array<Owner[] | undefined> = [];
  /** Per entry: a caller's mark (0 = none), e.g. the socket family found for the inode (snapshot/socket-kinds.ts). */
  private marks = new Uint8Array(512);
  /** Lists given to set(), whose order addHolder cannot assume. */
  private unordered = new WeakSet<Owner[]>();
  private count = 0;
  private live = 0;
  private used = 0; // slots not EMPTY (live + deleted): what the load factor counts

  /**
   * `expected`: about how many sockets will be added (the fd walk knows): the table is made that
   * large at once instead of doubling and rehashing ~8 times on the way to 100k entries.
   */
  constructor(expected = 0) {
    expected = Math.min(Math.ceil(expected), 1 << 26);
    if (expected > 256) {
      let slots = 1024;
      while (slots < expected * 4) slots *= 2; // grow() keeps live entries under a quarter of the slots
      this.slots = new Int32Array(slots).fill(EMPTY);
      this.entryKey = new Float64Array(expected);
      this.pid1 = new Float64Array(expected);
      this.fd1 = new Float64Array(expected);
      this.marks = new Uint8Array(expected);
    }
  }

  get size(): number {
    return this.live;
  }

  readonly [Symbol.toStringTag] = 'OwnerMap';

  private static hash(key: number): number {
    // Inodes are small integers; larger keys (a fixture's) fold their high part in.
    const lo = key >>> 0;
    const hi = (key / 4294967296) >>> 0;
    return Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> 0;
  }

  private find(key: number): number {
    const mask = this.slots.length - 1;
    for (let s = OwnerMap.hash(key) & mask; ; s = (s + 1) & mask) {
      const e = this.slots[s];
      if (e === EMPTY) return -1;
      if (e !== DELETED && this.entryKey[e] === key) return e;
    }
  }

  private grow(): void {
    const live = this.slots;
    // Doubles when live entries fill a quarter of it; otherwise the same size, rid of deleted slots.
    const next = new Int32Array(this.live + 1 > live.length / 4 ? live.length * 2 : live.length).fill(EMPTY);
    const mask = next.length - 1;
    for (const e of live) {
      if (e < 0) continue;
      let s = OwnerMap.hash(this.entryKey[e]) & mask;
      while (next[s] !== EMPTY) s = (s + 1) & mask;
      next[s] = e;
    }
    this.slots = next;
    this.used = this.live;
  }

  private newEntry(key: number, pid: number, fd: number): number {
    if ((this.used + 1) * 2 > this.slots.length) this.grow();
    if (this.count === this.entryKey.length) {
      const cap = this.entryKey.length * 2;
      const k = new Float64Array(cap);
      k.set(this.entryKey);
      this.entryKey = k;
      const p = new Float64Array(cap);
      p.set(this.pid1);
      this.pid1 = p;
      const f = new Float64Array(cap);
      f.set(this.fd1);
      this.fd1 = f;
      const m = new Uint8Array(cap);
      m.set(this.marks);
      this.marks = m;
    }
    const e = this.count++;
    this.entryKey[e] = key;
    this.pid1[e] = pid;
    this.fd1[e] = fd;
    const mask = this.slots.length - 1;
    let s = OwnerMap.hash(key) & mask;
    while (this.slots[s] >= 0) s = (s + 1) & mask;
    if (this.slots[s] === EMPTY) this.used++;
    this.slots[s] = e;
    this.live++;
    return e;
  }

  /** Adds one holder of `inode` (the walk's order: pid, then fd, ascending). */
  addHolder(inode: number, pid: number, fd: number): void {
    const e = this.find(inode);
    if (e < 0) {
      this.newEntry(inode, pid, fd);
      return;
    }
    const list = this.listOf(e);
    list.push({ pid, fd });
    // Holders in (pid, fd) order, as a walk in any order would have given them. The list was in
    // order before this push, so only the new last pair can be out of it: one comparison per holder,
    // not one pass (a listener 15,000 forked workers inherited made that 10^8 comparisons).
    // A list a caller set() may be in any order: sorted whole on its first add.
    const a = list[list.length - 2];
    if (this.unordered.delete(list) || (a && (a.pid > pid || (a.pid === pid && a.fd > fd)))) list.sort((x, y) => x.pid - y.pid || x.fd - y.fd);
  }

  private listOf(e: number): Owner[] {
    let list = this.lists[e];
    if (!list) {
      list = [{ pid: this.pid1[e], fd: this.fd1[e] }];
      this.lists[e] = list;
    }
    return list;
  }

  /**
   * Calls `fn` once per distinct pid holding `inode` (several fds of one process count once), in
   * holder order, without making the Owner array. Returns whether the inode has holders.
   */
  forEachPid(inode: number, fn: (pid: number) => void): boolean {
    const e = this.find(inode);
    if (e < 0) return false;
    const list = this.lists[e];
    if (!list) {
      fn(this.pid1[e]);
      return true;
    }
    eachDistinctPid(list, fn);
    return true;
  }

  /**
   * Calls `fn` for every (pid, fd) holding `inode`, in holder order, without making the Owner array
   * (which get() makes and keeps: an array and an object per socket at a million sockets).
   * Returns the number of holders.
   */
  forEachHolder(inode: number, fn: (pid: number, fd: number) => void): number {
    const e = this.find(inode);
    if (e < 0) return 0;
    const list = this.lists[e];
    if (!list) {
      fn(this.pid1[e], this.fd1[e]);
      return 1;
    }
    for (const o of list) fn(o.pid, o.fd);
    return list.length;
  }

  /**
   * Marks `inode` with `mark` (1..255; an earlier mark is kept) and calls `fn` once per holding
   * (pid, fd), allocation-free; `firstOfPid` is false for a second fd of a pid already called.
   * Returns whether the inode has holders.
   */
  markHolders(inode: number, mark: number, fn: (pid: number, firstOfPid: boolean) => void): boolean {
    const e = this.find(inode);
    if (e < 0) return false;
    if (this.marks[e] === 0) this.marks[e] = mark;
    const list = this.lists[e];
    if (!list) fn(this.pid1[e], true);
    else eachHolding(list, fn);
    return true;
  }

  /** Calls `fn` for every (inode, pid, fd) whose inode no markHolders call marked. */
  forEachUnmarked(fn: (inode: number, pid: number, fd: number) => void): void {
    for (let e = 0; e < this.count; e++) {
      if (this.marks[e] !== 0 || Number.isNaN(this.entryKey[e])) continue;
      const list = this.lists[e];
      if (!list) fn(this.entryKey[e], this.pid1[e], this.fd1[e]);
      else for (const o of list) fn(this.entryKey[e], o.pid, o.fd);
    }
  }

  get(key: number): Owner[] | undefined {
    const e = this.find(key);
    return e < 0 ? undefined : this.listOf(e);
  }

  has(key: number): boolean {
    return this.find(key) >= 0;
  }

  set(key: number, value: Owner[]): this {
    let e = this.find(key);
    if (e < 0) e = this.newEntry(key, value[0]?.pid ?? 0, value[0]?.fd ?? 0);
    this.lists[e] = value;
    this.unordered.add(value);
    return this;
  }

  delete(key: number): boolean {
    const mask = this.slots.length - 1;
    for (let s = OwnerMap.hash(key) & mask; ; s = (s + 1) & mask) {
      const e = this.slots[s];
      if (e === EMPTY) return false;
      if (e !== DELETED && this.entryKey[e] === key) {
        this.slots[s] = DELETED;
        this.entryKey[e] = NaN;
        this.lists[e] = undefined;
        this.marks[e] = 0;
        this.live--;
        return true;
      }
    }
  }

  clear(): void {
    this.slots = new Int32Array(1024).fill(EMPTY);
    this.entryKey = new Float64Array(512);
    this.pid1 = new Float64Array(512);
    this.fd1 = new Float64Array(512);
    this.marks = new Uint8Array(512);
    this.lists = [];
    this.count = this.live = this.used = 0;
  }

  *entries(): MapIterator<[number, Owner[]]> {
    for (let e = 0; e < this.count; e++) if (!Number.isNaN(this.entryKey[e])) yield [this.entryKey[e], this.listOf(e)];
  }

  *keys(): MapIterator<number> {
    for (let e = 0; e < this.count; e++) if (!Number.isNaN(this.entryKey[e])) yield this.entryKey[e];
  }

  *values(): MapIterator<Owner[]> {
    for (let e = 0; e < this.count; e++) if (!Number.isNaN(this.entryKey[e])) yield this.listOf(e);
  }

  [Symbol.iterator](): MapIterator<[number, Owner[]]> {
    return this.entries();
  }

  forEach(fn: (value: Owner[], key: number, map: Map<number, Owner[]>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }
}

/**
 * Calls `fn` once per distinct pid holding `inode`, for an OwnerMap (no allocation) or any other
 * Map of holders (test snapshots build plain Maps). Returns whether the inode has holders.
 */
export function forEachHolderPid(owners: ReadonlyMap<number, readonly Owner[]>, inode: number, fn: (pid: number) => void): boolean {
  if (owners instanceof OwnerMap) return owners.forEachPid(inode, fn);
  const holders = owners.get(inode);
  if (!holders) return false;
  eachDistinctPid(holders, fn);
  return true;
}

/**
 * Up to this many holders, a pid is looked for among the earlier ones (no allocation: nearly every
 * socket has one to a few holders); beyond it, in a Set, so a socket that thousands of forked
 * processes inherited costs linear time, not quadratic.
 */
const SCAN_HOLDERS = 16;

/** Each holding of a list, in order, saying whether its pid is new to the list so far. */
export function eachHolding(list: readonly Owner[], fn: (pid: number, firstOfPid: boolean) => void): void {
  if (list.length > SCAN_HOLDERS) {
    const seen = new Set<number>();
    for (const o of list) {
      const first = !seen.has(o.pid);
      if (first) seen.add(o.pid);
      fn(o.pid, first);
    }
    return;
  }
  for (let i = 0; i < list.length; i++) {
    const pid = list[i].pid;
    let seen = false;
    for (let j = 0; j < i && !seen; j++) seen = list[j].pid === pid;
    fn(pid, !seen);
  }
}

/** Each pid of a holder list once, in list order. */
function eachDistinctPid(list: readonly Owner[], fn: (pid: number) => void): void {
  if (list.length > SCAN_HOLDERS) {
    for (const pid of new Set(list.map((o) => o.pid))) fn(pid);
    return;
  }
  for (let i = 0; i < list.length; i++) {
    const pid = list[i].pid;
    let seen = false;
    for (let j = 0; j < i && !seen; j++) seen = list[j].pid === pid;
    if (!seen) fn(pid);
  }
}
