/**
 * Provenance of RLIMIT_NOFILE for the exported processes, kept between scrapes: explaining a limit
 * reads unit files and configs up the process tree, too much to repeat on every scrape of every
 * process. An entry is reused while the process keeps its name and limits, for at most `ttlMs`.
 * Bounded by count: it holds the processes of the last scrape only (at most --max-processes), so
 * a process that exited, or a flood of short-lived ones, leaves nothing behind.
 */
import { explainLimits } from '../provenance/explain.js';
import type { LimitOrigin } from '../provenance/types.js';
import type { ProcessInfo } from '../snapshot/types.js';

interface Entry {
  key: string;
  origin: LimitOrigin;
  at: number;
}

export class LimitOriginCache {
  private entries = new Map<number, Entry>();

  constructor(
    private readonly root: string,
    private readonly ttlMs = 300_000,
    private readonly explain: (root: string, pids: readonly number[]) => Map<number, LimitOrigin> = explainLimits,
  ) {}

  /** Processes held. */
  get size(): number {
    return this.entries.size;
  }

  /** Origins of these processes; ones that vanished are left out. Forgets pids not asked for. */
  get(processes: readonly ProcessInfo[], nowMs: number): Map<number, LimitOrigin> {
    const out = new Map<number, LimitOrigin>();
    const missing: number[] = [];
    const keys = new Map<number, string>();
    for (const p of processes) {
      const key = `${p.name}\0${p.fds.soft}\0${p.fds.hard}`;
      keys.set(p.pid, key);
      const e = this.entries.get(p.pid);
      if (e && e.key === key && nowMs - e.at < this.ttlMs) out.set(p.pid, e.origin);
      else missing.push(p.pid);
    }
    const fresh = missing.length ? this.explain(this.root, missing) : new Map<number, LimitOrigin>();
    const next = new Map<number, Entry>();
    for (const pid of out.keys()) next.set(pid, this.entries.get(pid)!);
    for (const [pid, origin] of fresh) {
      out.set(pid, origin);
      next.set(pid, { key: keys.get(pid)!, origin, at: nowMs });
    }
    this.entries = next;
    return out;
  }
}
