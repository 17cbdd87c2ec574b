/**
 * Deadline-driven namespace reads for `sockdoc serve` (issue 23). A scrape reads the host's own
 * namespace whole, always (snapshot/build.ts reads it beside this); the other namespaces are read
 * here, in batches, until the scrape's namespace budget (--netns-budget) is spent:
 * - in priority order: those never read, or not reached by the last scrapes, first (the oldest read
 *   first: round-robin, so every namespace that lives long enough is read within
 *   ceil(namespaces / read per scrape) scrapes); among equals, those that held listeners or
 *   findings when last read before the rest;
 * - each scrape reads at least MIN_PER_SCRAPE of them, whatever the budget, so the round ends;
 * - a namespace not reached is carried from its last read (at most `maxCarried` of them, read at
 *   most `maxAgeMs` ago), and the scrape says so: `freshness` lists when each carried namespace
 *   was read (sockdoc_namespace_age_seconds), and which had no data at all (unread: partial, never
 *   healthy: nothing of them was seen).
 *
 * A carried read belongs to the namespace it was made of: the entry is kept under the namespace's
 * identity (nsfs inode, `ip netns` path, and its lowest pid with that process's start time), so a
 * namespace that is gone and whose inode the kernel gave to a new one (proc_alloc_inum reuses freed
 * numbers: a churning tenant gets the same inodes back every cycle) is read, never shown the old
 * one's data.
 */
import { readLiveNetns, emptyNetnsData, type NetnsData, type NetnsTarget } from '../probe/netns-read.js';
import { readPidStat } from '../probe/pid-stat.js';
import { tcpStateNumber } from '../snapshot/socket-table.js';

const LISTEN = tcpStateNumber('LISTEN');

/** Each scrape reads at least this many namespaces (one batch: the addon's four threads), whatever the budget. */
export const MIN_PER_SCRAPE = 4;
/**
 * The most namespaces one batch reads. The deadline is checked between batches, and namespaces
 * differ: an empty one costs ~1 ms, one with a full listener beside 2,000 others ~40 ms of wall time
 * at load 10 (its sock_diag dump walks the host's shared established hash; its /proc/sys/net
 * lookups compare against every namespace's): a batch of 128 sized by the cheap ones ran 5 s past
 * the deadline. Eight bound that to a few hundred ms, for ~1 ms per batch (four threads made, one
 * napi round trip).
 */
export const MAX_BATCH = 8;
/** Carried namespaces at most (the oldest reads are dropped first). */
export const DEFAULT_MAX_CARRIED = 4096;
/** A read is carried at most this long (ms); older, the namespace counts as unread. */
export const DEFAULT_MAX_CARRY_AGE_MS = 600_000;

export interface CarryOptions {
  /** How long each scrape reads namespaces other than the host's, ms. */
  budgetMs: number;
  maxCarried?: number;
  maxAgeMs?: number;
  /** Reads a batch (default: readLiveNetns, from inside each namespace). */
  read?: (targets: readonly NetnsTarget[]) => Promise<NetnsData[]>;
  /** Wall clock, ms (default Date.now): ages are said in it. */
  now?: () => number;
  /** A namespace's identity (default: inode, `ip netns` path, lowest pid and its start time). */
  identity?: (t: NetnsTarget) => string;
}

/** What one scrape read of the namespaces other than the host's. */
export interface NetnsFreshness {
  /** Read by this scrape. */
  fresh: number;
  /** Carried: inode -> when its data was read (the `now` clock). */
  carried: Map<number, number>;
  /** Seen, but nothing of them read this scrape nor recently enough to carry. */
  unread: Set<number>;
}

/**
 * A read's counters as kept: the names shared by every entry with the same ones (one kernel: all of
 * them) and the values in a Float64Array. As objects, 2,000 namespaces' ~310 counters each held
 * ~25 MB of the worker's heap between scrapes.
 */
interface PackedCounters {
  names: readonly string[];
  values: Float64Array;
}

interface Entry {
  id: string;
  /** The read, its counters left out (they are in `counters`). */
  data: NetnsData;
  counters: PackedCounters | null;
  readAt: number;
  /** The scrape (its sequence number) that read it. */
  gen: number;
  /** It held listeners, or a finding was about it: read before the others of its age. */
  important: boolean;
  /** Found through a socket (readFound), not planned: kept until its age bound, not pruned by read(). */
  found: boolean;
}

/** The identity of a namespace as defaultIdentity makes it: what a reused inode does not share. */
export function defaultIdentity(t: NetnsTarget, root = '/'): string {
  const pid = t.pids[0];
  let started = '';
  if (pid !== undefined) {
    try {
      started = String(readPidStat(root, pid).starttime);
    } catch {
      // Gone since the plan: the read will say so; an identity that matches nothing kept.
      started = 'gone';
    }
  }
  return `${t.inode}|${t.namedPath ?? ''}|${pid ?? ''}:${started}`;
}

function unpack(p: PackedCounters | null): Record<string, number> | null {
  if (!p) return null;
  const out: Record<string, number> = {};
  p.names.forEach((k, i) => (out[k] = p.values[i]));
  return out;
}

/** Whether a namespace's read holds listeners (TCP or unix-domain). */
function holdsListeners(d: NetnsData): boolean {
  return d.table.countState(LISTEN) > 0 || d.unix.listening.length > 0;
}

/** A namespace seen but not read this scrape, with nothing recent to carry: partial, never healthy. */
export function unreadNetns(t: NetnsTarget, budgetMs: number): NetnsData {
  return {
    ...emptyNetnsData(t),
    partial: true,
    notes: [`${t.label}: not read by this scrape: its namespace budget (--netns-budget ${budgetMs} ms) was spent on others; its sockets and counters are unknown, and it is read first next time.`],
  };
}

export class NetnsCarry {
  private readonly entries = new Map<number, Entry>();
  private gen = 0;
  /** Wall time per namespace in a batch (ms), from the batches read so far: sizes the next one. */
  private costMs = 10;
  private readonly maxCarried: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private readonly identity: (t: NetnsTarget) => string;
  private readonly readBatch: (targets: readonly NetnsTarget[]) => Promise<NetnsData[]>;
  /** The counter names of the last entry packed: shared by the next one when equal. */
  private names: readonly string[] = [];
  /** The deadline of the last read(): readFound() reads within what is left of it. */
  private deadline = 0;
  /** What the last read did (the scrape's exposition reads it). */
  freshness: NetnsFreshness = { fresh: 0, carried: new Map(), unread: new Set() };

  constructor(private readonly opts: CarryOptions) {
    this.maxCarried = opts.maxCarried ?? DEFAULT_MAX_CARRIED;
    this.maxAgeMs = opts.maxAgeMs ?? DEFAULT_MAX_CARRY_AGE_MS;
    this.now = opts.now ?? Date.now;
    this.identity = opts.identity ?? ((t) => defaultIdentity(t));
    this.readBatch = opts.read ?? ((targets) => readLiveNetns(targets));
  }

  /** Namespaces held (a test's view of the bound). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Reads `targets` until `budgetMs` after `startedAt` (the `now` clock) is spent, at least
   * MIN_PER_SCRAPE of them; the rest carried or unread. Results in the order of `targets`.
   */
  async read(targets: readonly NetnsTarget[], startedAt = this.now()): Promise<NetnsData[]> {
    const gen = ++this.gen;
    this.deadline = startedAt + this.opts.budgetMs;
    const ids = targets.map((t) => this.identity(t));
    // Gone, or its inode now another namespace's: forgotten (those found through a socket are kept to their age).
    const live = new Map(targets.map((t, i) => [t.inode, ids[i]]));
    for (const [inode, e] of this.entries) if (!e.found && live.get(inode) !== e.id) this.entries.delete(inode);
    this.freshness = { fresh: 0, carried: new Map(), unread: new Set() };
    const out = await this.round(targets, ids, gen, false);
    this.bound();
    return out;
  }

  /**
   * Namespaces found later in the same scrape (through a socket no table named: one no process is in
   * and no name holds, or one made since the scrape's plan), read the same way within what is left
   * of the last read()'s deadline, at least one batch, the rest carried or unread. Such a namespace
   * is entered through an fd of this scrape only: it is kept under its inode and how it was found
   * (the holder named in its label), until the age bound.
   */
  async readFound(targets: readonly NetnsTarget[]): Promise<NetnsData[]> {
    const out = await this.round(targets, targets.map((t) => `${t.inode}|found|${t.label}`), this.gen, true);
    this.bound();
    return out;
  }

  /** One scrape's reads of `targets` (identities `ids`) within this.deadline; adds to this.freshness. */
  private async round(targets: readonly NetnsTarget[], ids: readonly string[], gen: number, found: boolean): Promise<NetnsData[]> {
    const order = targets.map((t, i) => ({ t, i, e: this.entries.get(t.inode) }));
    // Never read first, then the oldest read; among equals those that mattered last time.
    order.sort((a, b) => (a.e?.gen ?? -1) - (b.e?.gen ?? -1) || Number(b.e?.important ?? 0) - Number(a.e?.important ?? 0) || a.i - b.i);
    const out: NetnsData[] = new Array(targets.length);
    let next = 0;
    while (next < order.length) {
      const left = this.deadline - this.now();
      if (next >= MIN_PER_SCRAPE && left < this.costMs * MIN_PER_SCRAPE) break;
      // Half of what is left, at the cost measured so far: the last batch ends near the deadline, not far past it.
      const size = Math.min(MAX_BATCH, Math.max(MIN_PER_SCRAPE - Math.min(next, MIN_PER_SCRAPE), Math.floor(left / 2 / this.costMs)));
      if (size <= 0) break;
      const batch = order.slice(next, next + size);
      const t0 = this.now();
      const got = await this.readBatch(batch.map((b) => b.t));
      const at = this.now();
      // Up at once, down slowly: one slow batch (namespaces that just got sockets) sizes the next ones.
      const cost = (at - t0) / batch.length;
      this.costMs = Math.max(0.1, cost >= this.costMs ? cost : 0.8 * this.costMs + 0.2 * cost);
      batch.forEach((b, k) => {
        const data = got[k];
        out[b.i] = data;
        this.entries.set(b.t.inode, { id: ids[b.i], data: { ...data, counters: null, stalePids: undefined }, counters: this.pack(data.counters), readAt: at, gen, important: holdsListeners(data), found });
      });
      this.freshness.fresh += batch.length;
      next += batch.length;
    }
    const at = this.now();
    for (const { t, i, e } of order.slice(next)) {
      if (e && e.id === ids[i] && at - e.readAt <= this.maxAgeMs) {
        // What the read found, without what it asked of this scrape: pids it saw reused are long re-checked.
        out[i] = { ...e.data, counters: unpack(e.counters) };
        this.freshness.carried.set(t.inode, e.readAt);
      } else {
        if (e) this.entries.delete(t.inode);
        out[i] = unreadNetns(t, this.opts.budgetMs);
        this.freshness.unread.add(t.inode);
      }
    }
    return out;
  }

  /** Namespaces a finding was about: read before others of their age next time. */
  markImportant(inodes: Iterable<number>): void {
    for (const inode of inodes) {
      const e = this.entries.get(inode);
      if (e) e.important = true;
    }
  }

  private pack(counters: Record<string, number> | null): PackedCounters | null {
    if (!counters) return null;
    const keys = Object.keys(counters);
    const names = keys.length === this.names.length && keys.every((k, i) => k === this.names[i]) ? this.names : keys;
    this.names = names;
    return { names, values: Float64Array.from(names, (k) => counters[k]) };
  }

  /** At most maxCarried entries, none older than maxAgeMs: the oldest reads go first. */
  private bound(): void {
    const at = this.now();
    for (const [inode, e] of this.entries) if (at - e.readAt > this.maxAgeMs) this.entries.delete(inode);
    if (this.entries.size <= this.maxCarried) return;
    const byAge = [...this.entries].sort((a, b) => a[1].readAt - b[1].readAt);
    for (const [inode] of byAge.slice(0, this.entries.size - this.maxCarried)) this.entries.delete(inode);
  }
}
