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

interface Reading {
  at: number;
  /** The window's start with every namespace's counters left out (null): they are in `counters`. */
  start: WindowStart;
  counters: ReadonlyMap<NetnsInode, PackedCounters>;
}

/** `start` with its counters packed (names shared when equal to the previous namespace's). */
function pack(at: number, start: WindowStart): Reading {
  const counters = new Map<NetnsInode, PackedCounters>();
  const byNetns = new Map<NetnsInode, NetnsPoint>();
  let names: string[] = [];
  for (const [inode, point] of start.byNetns) {
    byNetns.set(inode, { ...point, counters: null });
    if (!point.counters) continue;
    const keys = Object.keys(point.counters);
    if (keys.length !== names.length || keys.some((k, i) => k !== names[i])) names = keys;
    counters.set(inode, { names, values: Float64Array.from(names, (k) => point.counters![k]) });
  }
  return { at, start: { ...start, byNetns }, counters };
}

/** The reading as a window start again, counters as objects (built for this comparison only). */
function unpack(r: Reading): WindowStart {
  const byNetns = new Map<NetnsInode, NetnsPoint>();
  for (const [inode, point] of r.start.byNetns) {
    const packed = r.counters.get(inode);
    if (!packed) {
      byNetns.set(inode, point);
      continue;
    }
    const counters: Record<string, number> = {};
    packed.names.forEach((k, i) => (counters[k] = packed.values[i]));
    byNetns.set(inode, { ...point, counters });
  }
  return { ...r.start, byNetns };
}

export interface CounterHistoryOptions {
  /** Shortest window a comparison may cover (default 1000 ms, diagnose's default --interval). */
  windowMs?: number;
  /** Readings older than this are forgotten (default 10 min): a window never spans more. */
  keepMs?: number;
  /**
   * At most this many readings, whatever the clock does (default 4: the baseline, the newest, and
   * room between). Each holds every namespace of its snapshot, so this bounds what a namespace
   * flood leaves here to a few snapshots' worth, and a namespace that is gone leaves with them.
   */
  maxReadings?: number;
}

/**
 * Remembers the readings a later scrape may still compare with: the baseline in use and those
 * newer than it (an older one can never be a baseline again: time only moves forward), so at most
 * a window's worth of readings, one per `windowMs`, each holding its namespaces' counters and
 * CLOSE_WAIT inodes.
 */
export class CounterHistory {
  private readings: Reading[] = [];
  private readonly windowMs: number;
  private readonly keepMs: number;
  private readonly maxReadings: number;

  constructor(opts: CounterHistoryOptions = {}) {
    this.windowMs = opts.windowMs ?? 1000;
    this.keepMs = opts.keepMs ?? 600_000;
    this.maxReadings = Math.max(2, opts.maxReadings ?? 4);
  }

  /**
   * Gives every namespace of `snapshot` (read once) its window against the baseline, then
   * remembers this reading. Namespaces without a baseline stay one-read (deltas null).
   */
  apply(snapshot: Snapshot, atMs: number): void {
    const reading = pack(atMs, windowStartOf(snapshot));
    this.readings = this.readings.filter((r) => atMs - r.at <= this.keepMs);
    let base = -1;
    for (let i = this.readings.length - 1; i >= 0; i--) {
      if (atMs - this.readings[i].at >= this.windowMs) {
        base = i;
        break;
      }
    }
    if (base >= 0) {
      applyWindow(snapshot, unpack(this.readings[base]), atMs - this.readings[base].at);
      this.readings = this.readings.slice(base);
    }
    const last = this.readings.at(-1);
    if (!last || atMs - last.at >= this.windowMs) this.readings.push(reading);
    // The oldest go first: the newest stays, and so does a baseline while there is room.
    if (this.readings.length > this.maxReadings) this.readings = this.readings.slice(-this.maxReadings);
  }

  /** Readings held (a test's view of the bound). */
  get size(): number {
    return this.readings.length;
  }

  /** Distinct namespaces the readings hold (a test's view of what a flood leaves). */
  get namespacesHeld(): number {
    const inodes = new Set<number>();
    for (const r of this.readings) for (const inode of r.start.byNetns.keys()) inodes.add(inode);
    return inodes.size;
  }
}
