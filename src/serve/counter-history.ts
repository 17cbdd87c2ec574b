/**
 * The window between scrapes. The exporter reads each namespace once per snapshot (no sampling
 * wait, so a scrape is not a second long); what needs a window — counter deltas for "is it
 * happening now" (listen-overflows, syn-queue-pressure), CLOSE_WAIT that stayed (a leak) or is new
 * (churn) — is judged against an earlier scrape instead (snapshot/window.ts, as watch does): the
 * newest one at least `windowMs` old, so 100 scrapes a second still compare across a real window.
 */
import { applyWindow, windowStartOf } from '../snapshot/window.js';
import type { NetnsInode, NetnsPoint, Snapshot, WindowStart } from '../snapshot/types.js';

/**
 * A namespace's counters as kept between scrapes: the names, shared by every namespace with the
 * same ones (one kernel: all of them), and the values in a Float64Array (every integer below 2^53
 * exactly). As objects, 2,000 namespaces' ~310 TcpExt/Tcp/Ip/Udp counters held 24 MB per reading.
 */
interface PackedCounters {
  names: readonly string[];
  values: Float64Array;
}

/** One namespace as read at `at`: its counters packed. */
interface Reading {
  at: number;
  point: NetnsPoint;
  counters: PackedCounters | null;
  /** The first namespace's (sockdoc's own) only: the snapshot-level facts of that read. */
  host?: { conntrack?: WindowStart['conntrack']; softnet?: WindowStart['softnet'] };
}

/** Packs a point's counters, sharing the names with `names` when they are the same. */
function pack(at: number, point: NetnsPoint, names: string[]): { reading: Reading; names: string[] } {
  if (!point.counters) return { reading: { at, point, counters: null }, names };
  const keys = Object.keys(point.counters);
  if (keys.length !== names.length || keys.some((k, i) => k !== names[i])) names = keys;
  const values = Float64Array.from(names, (k) => point.counters![k]);
  return { reading: { at, point: { ...point, counters: null }, counters: { names, values } }, names };
}

/** The reading's point, counters as an object again (built for this comparison only). */
function unpack(r: Reading): NetnsPoint {
  if (!r.counters) return r.point;
  const counters: Record<string, number> = {};
  r.counters.names.forEach((k, i) => (counters[k] = r.counters!.values[i]));
  return { ...r.point, counters };
}

export interface CounterHistoryOptions {
  /** Shortest window a comparison may cover (default 1000 ms, diagnose's default --interval). */
  windowMs?: number;
  /** Readings older than this are forgotten (default 10 min): a window never spans more. */
  keepMs?: number;
  /**
   * At most this many readings per namespace, whatever the clock does (default 4: the baseline, the
   * newest, and room between). A namespace that is gone leaves with its readings, so a namespace
   * flood leaves here a few readings of the namespaces that exist now.
   */
  maxReadings?: number;
}

/**
 * Remembers, per namespace, the readings a later scrape may still compare with: the baseline in use
 * and those newer than it (an older one can never be a baseline again: time only moves forward),
 * so at most a window's worth of readings, one per `windowMs`, each holding the namespace's
 * counters, CLOSE_WAIT inodes and listener drops.
 *
 * Per namespace, because a scrape does not read every namespace (serve/netns-carry.ts): one carried
 * from an earlier read is judged as it was when read (its own baseline, its own window), and is not
 * recorded again; one read now is judged against its own last readings, however many scrapes ago
 * they were made.
 */
export class CounterHistory {
  private readonly readings = new Map<NetnsInode, Reading[]>();
  private readonly windowMs: number;
  private readonly keepMs: number;
  private readonly maxReadings: number;

  constructor(opts: CounterHistoryOptions = {}) {
    this.windowMs = opts.windowMs ?? 1000;
    this.keepMs = opts.keepMs ?? 600_000;
    this.maxReadings = Math.max(2, opts.maxReadings ?? 4);
  }

  /**
   * Gives every namespace of `snapshot` its window against its baseline, then remembers the
   * namespaces read now. `readAt` holds the namespaces carried from an earlier read, with when they
   * were read; `unread` those of which nothing was read (neither judged nor recorded). Namespaces
   * without a baseline stay one-read (deltas null).
   */
  apply(snapshot: Snapshot, atMs: number, readAt: ReadonlyMap<NetnsInode, number> = new Map(), unread: ReadonlySet<NetnsInode> = new Set()): void {
    const now = windowStartOf(snapshot);
    const byNetns = new Map<NetnsInode, NetnsPoint>();
    const msOf = new Map<NetnsInode, number>();
    let hostStart: Reading['host'] | undefined;
    let hostMs = 0;
    let names: string[] = [];
    const seen = new Set<NetnsInode>();
    snapshot.namespaces.forEach((ns, index) => {
      seen.add(ns.inode);
      if (unread.has(ns.inode)) return;
      const at = readAt.get(ns.inode) ?? atMs;
      const carried = readAt.has(ns.inode);
      let list = (this.readings.get(ns.inode) ?? []).filter((r) => atMs - r.at <= this.keepMs);
      let base = -1;
      for (let i = list.length - 1; i >= 0; i--) {
        if (at - list[i].at >= this.windowMs) {
          base = i;
          break;
        }
      }
      if (base >= 0) {
        const b = list[base];
        byNetns.set(ns.inode, unpack(b));
        msOf.set(ns.inode, at - b.at);
        if (index === 0) {
          hostStart = b.host;
          hostMs = at - b.at;
        }
        list = list.slice(base);
      }
      const last = list.at(-1);
      if (!carried && (!last || at - last.at >= this.windowMs)) {
        const packed = pack(at, now.byNetns.get(ns.inode)!, names);
        names = packed.names;
        if (index === 0) packed.reading.host = { conntrack: now.conntrack, softnet: now.softnet };
        list.push(packed.reading);
      }
      // The oldest go first: the newest stays, and so does a baseline while there is room.
      if (list.length > this.maxReadings) list = list.slice(-this.maxReadings);
      if (list.length) this.readings.set(ns.inode, list);
      else this.readings.delete(ns.inode);
    });
    // Gone namespaces leave with their readings.
    for (const inode of this.readings.keys()) if (!seen.has(inode)) this.readings.delete(inode);
    if (byNetns.size === 0) return;
    const start: WindowStart = { byNetns };
    if (hostStart?.conntrack !== undefined) start.conntrack = hostStart.conntrack;
    if (hostStart?.softnet !== undefined) start.softnet = hostStart.softnet;
    // One window for the snapshot (the host's), then each namespace's own length.
    applyWindow(snapshot, start, hostMs > 0 ? hostMs : Math.max(...msOf.values()));
    for (const ns of snapshot.namespaces) {
      const ms = msOf.get(ns.inode);
      if (ms === undefined) continue;
      if (ns.counters.deltas) ns.counters = { ...ns.counters, intervalMs: ms };
      if (ns.closeWaitAtStart) ns.closeWaitAtStart = { ...ns.closeWaitAtStart, windowMs: ms };
    }
    const first = snapshot.namespaces[0];
    if (first) snapshot.counters = first.counters;
  }

  /** Readings held by the namespace holding the most (a test's view of the bound). */
  get size(): number {
    let most = 0;
    for (const list of this.readings.values()) most = Math.max(most, list.length);
    return most;
  }

  /** Distinct namespaces the readings hold (a test's view of what a flood leaves). */
  get namespacesHeld(): number {
    return this.readings.size;
  }
}
