/**
 * Counter deltas between scrapes. The exporter reads the TcpExt counters once per snapshot (no
 * sampling wait, so a scrape is not a second long); rules that judge "is it happening now"
 * (listen-overflows, syn-queue-pressure) get the increase since an earlier reading instead: the
 * newest one at least `windowMs` old, so 100 scrapes a second still compare across a real window.
 */
import { diffCounters } from '../snapshot/build.js';
import type { Counters, NetnsInode, Snapshot } from '../snapshot/types.js';

interface Reading {
  at: number;
  byNetns: Map<NetnsInode, Record<string, number>>;
}

export interface CounterHistoryOptions {
  /** Shortest window a delta may cover (default 1000 ms, diagnose's default --interval). */
  windowMs?: number;
  /** Readings older than this are forgotten (default 10 min): a delta never spans more. */
  keepMs?: number;
}

/** Remembers about one reading per window; bounded by keepMs / windowMs entries. */
export class CounterHistory {
  private readonly readings: Reading[] = [];
  private readonly windowMs: number;
  private readonly keepMs: number;

  constructor(opts: CounterHistoryOptions = {}) {
    this.windowMs = opts.windowMs ?? 1000;
    this.keepMs = opts.keepMs ?? 600_000;
  }

  /**
   * Gives every namespace of `snapshot` (read with one counter reading) its deltas against the
   * baseline, then remembers this reading. Namespaces without a baseline keep deltas null.
   */
  apply(snapshot: Snapshot, atMs: number): void {
    while (this.readings.length && atMs - this.readings[0].at > this.keepMs) this.readings.shift();
    let base: Reading | undefined;
    for (let i = this.readings.length - 1; i >= 0; i--) {
      if (atMs - this.readings[i].at >= this.windowMs) {
        base = this.readings[i];
        break;
      }
    }
    const reading: Reading = { at: atMs, byNetns: new Map() };
    snapshot.namespaces = snapshot.namespaces.map((ns) => {
      reading.byNetns.set(ns.inode, ns.counters.values);
      const before = base?.byNetns.get(ns.inode);
      const counters: Counters = before
        ? { values: ns.counters.values, deltas: diffCounters(before, ns.counters.values), intervalMs: atMs - base!.at }
        : { values: ns.counters.values, deltas: null, intervalMs: 0 };
      return { ...ns, counters };
    });
    if (snapshot.namespaces[0]) snapshot.counters = snapshot.namespaces[0].counters;
    const last = this.readings.at(-1);
    if (!last || atMs - last.at >= this.windowMs) this.readings.push(reading);
  }
}
