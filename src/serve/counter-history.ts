/**
 * The window between scrapes. The exporter reads each namespace once per snapshot (no sampling
 * wait, so a scrape is not a second long); what needs a window — counter deltas for "is it
 * happening now" (listen-overflows, syn-queue-pressure), CLOSE_WAIT that stayed (a leak) or is new
 * (churn) — is judged against an earlier scrape instead (snapshot/window.ts, as watch does): the
 * newest one at least `windowMs` old, so 100 scrapes a second still compare across a real window.
 */
import { applyWindow, windowStartOf } from '../snapshot/window.js';
import type { Snapshot, WindowStart } from '../snapshot/types.js';

interface Reading {
  at: number;
  start: WindowStart;
}

export interface CounterHistoryOptions {
  /** Shortest window a comparison may cover (default 1000 ms, diagnose's default --interval). */
  windowMs?: number;
  /** Readings older than this are forgotten (default 10 min): a window never spans more. */
  keepMs?: number;
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

  constructor(opts: CounterHistoryOptions = {}) {
    this.windowMs = opts.windowMs ?? 1000;
    this.keepMs = opts.keepMs ?? 600_000;
  }

  /**
   * Gives every namespace of `snapshot` (read once) its window against the baseline, then
   * remembers this reading. Namespaces without a baseline stay one-read (deltas null).
   */
  apply(snapshot: Snapshot, atMs: number): void {
    const reading: Reading = { at: atMs, start: windowStartOf(snapshot) };
    this.readings = this.readings.filter((r) => atMs - r.at <= this.keepMs);
    let base = -1;
    for (let i = this.readings.length - 1; i >= 0; i--) {
      if (atMs - this.readings[i].at >= this.windowMs) {
        base = i;
        break;
      }
    }
    if (base >= 0) {
      applyWindow(snapshot, this.readings[base].start, atMs - this.readings[base].at);
      this.readings = this.readings.slice(base);
    }
    const last = this.readings.at(-1);
    if (!last || atMs - last.at >= this.windowMs) this.readings.push(reading);
  }

  /** Readings held (a test's view of the bound). */
  get size(): number {
    return this.readings.length;
  }
}
