/**
 * The history of a host: a bounded ring (ring.ts) of each snapshot's key numbers, for trends,
 * sparklines, charts and the fd-exhaustion forecast.
 * - per listener, keyed by (netns, address, port): accept queue, backlog limit, SYN_RECV, the
 *   longest accept wait of its queued clients (ms, when sock_diag measured it);
 * - per process, keyed by pid (a pid whose name changes is a new process): open fds, soft
 *   RLIMIT_NOFILE, CLOSE_WAIT held;
 * - per network namespace: rates per second of the TcpExt/Tcp counters in COUNTER_RATES,
 *   from the difference between two consecutive samples.
 * Bounded: capacity samples × (listeners ≤ maxListeners, processes ≤ maxProcesses, namespaces ≤
 * maxNamespaces), counting the gone ones whose samples are still in the window: when a new one
 * comes and the table is full, the one seen longest ago is forgotten (a host that forks short-lived
 * processes all day cannot grow it). Processes tracked: every listener owner, then the nearest their limit.
 */
import type { FdKindCounts, Snapshot } from '../snapshot/types.js';
import { forecastExhaustion, type Forecast, type Point } from './forecast.js';
import { Ring } from './ring.js';

/** Counters whose rate is kept (names as in /proc/net/netstat and /proc/net/snmp). */
export const COUNTER_RATES = [
  'TcpExt.ListenOverflows',
  'TcpExt.ListenDrops',
  'TcpExt.TCPReqQFullDrop',
  'TcpExt.SyncookiesSent',
  'Tcp.PassiveOpens',
  'Tcp.ActiveOpens',
  'Tcp.EstabResets',
  'Tcp.OutRsts',
  'Tcp.RetransSegs',
] as const;

export type ProcessField = 'open' | 'soft' | 'closeWait';
export type ListenerField = 'queue' | 'backlog' | 'synRecv' | 'wait';

export interface HistoryOptions {
  /** Samples kept (e.g. 1 h at 2 s = 1800). */
  capacity: number;
  maxProcesses: number;
  maxListeners: number;
  maxNamespaces: number;
}

export const DEFAULT_HISTORY_OPTIONS: HistoryOptions = { capacity: 1800, maxProcesses: 200, maxListeners: 200, maxNamespaces: 64 };

/** How a process's fds by kind changed over the window: now minus the oldest kept reading. */
export interface FdKindGrowth {
  /** ms between the oldest kept reading and now. */
  spanMs: number;
  /** Change per kind (only kinds that changed). */
  deltas: FdKindCounts;
}

/** What the rules may read: no mutation, no clock. */
export interface HistoryView {
  /** Open-fd samples of the process `pid` named `name`, oldest first; [] when it is not tracked. */
  fdPoints(pid: number, name: string): Point[];
  /** forecastExhaustion of those samples towards `limit` (computed once per sample and process). */
  fdForecast(pid: number, name: string, limit: number | null): Forecast;
  /** Its fds by kind now against the oldest reading kept in the window; null when not tracked or seen once. Optional: older views lack it. */
  fdKindGrowth?(pid: number, name: string): FdKindGrowth | null;
}

/**
 * Readings of a process's fds by kind kept per tracked process: at most this many, spread over the
 * window (the oldest and newest always), so growth over an hour costs a few hundred bytes per
 * process, not a series per kind per sample.
 */
export const KIND_READINGS = 12;

/** When an entity was last recorded: the History's sample number. */
interface Seen {
  seen: number;
}

/**
 * Makes room for `key` in `table` (at most `max` entries): true when it is there or may be added,
 * after forgetting the entry seen longest ago if that one was not seen in sample `seq` itself.
 */
function admit<K, V extends Seen>(table: Map<K, V>, key: K, seq: number, max: number, forget: (key: K) => void): boolean {
  if (table.has(key) || table.size < max) return true;
  let oldest: K | undefined;
  let oldestSeen = Infinity;
  for (const [k, v] of table) {
    if (v.seen < oldestSeen) {
      oldest = k;
      oldestSeen = v.seen;
    }
  }
  if (oldest === undefined || oldestSeen >= seq) return false;
  forget(oldest);
  return true;
}

export interface ProcessMeta extends Seen {
  pid: number;
  name: string;
  netns: number | null;
  /** Its fds by kind, oldest first (at most KIND_READINGS; see there), with the time of each. */
  kinds?: Array<{ t: number; counts: FdKindCounts }>;
  /** The latest reading (the last of `kinds`). */
  lastKinds?: { t: number; counts: FdKindCounts };
}

export interface ListenerMeta extends Seen {
  netns: number;
  address: string;
  port: number;
  pids: number[];
}

export interface NamespaceMeta extends Seen {
  inode: number;
  name: string;
}

export function processKey(pid: number, field: ProcessField): string {
  return `p/${pid}/${field}`;
}

/** (netns, address, port) identifies a listener: the same port can listen in every namespace. */
export function listenerId(l: { netns: number; address: string; port: number }): string {
  return `${l.netns}/${l.address}/${l.port}`;
}

export function listenerKey(id: string, field: ListenerField): string {
  return `l/${id}/${field}`;
}

export function rateKey(netns: number, counter: string): string {
  return `n/${netns}/${counter}`;
}

export class History implements HistoryView {
  readonly ring: Ring;
  readonly options: HistoryOptions;
  readonly processes = new Map<number, ProcessMeta>();
  readonly listeners = new Map<string, ListenerMeta>();
  readonly namespaces = new Map<number, NamespaceMeta>();
  /** Previous sample's counter values per namespace, for rates. */
  private previous = new Map<number, { t: number; values: Record<string, number> }>();
  /** Samples recorded. */
  private seq = 0;
  /** Forecasts of the current sample, by "pid/name/limit" (the rule and the views ask for the same ones). */
  private forecasts = new Map<string, Forecast>();

  constructor(options: Partial<HistoryOptions> = {}) {
    this.options = { ...DEFAULT_HISTORY_OPTIONS, ...options };
    this.ring = new Ring(this.options.capacity);
  }

  /** Records one snapshot at time `t` (ms; default its takenAt). */
  record(snapshot: Snapshot, t = Date.parse(snapshot.host.takenAt)): void {
    if (!Number.isFinite(t)) throw new RangeError(`snapshot time is not a date: ${snapshot.host.takenAt}`);
    this.ring.begin(t);
    this.seq++;
    this.forecasts.clear();
    this.recordProcesses(snapshot, t);
    this.recordListeners(snapshot);
    this.recordRates(snapshot, t);
    this.prune();
  }

  private recordProcesses(snapshot: Snapshot, t: number): void {
    const owners = new Set(snapshot.listeners.flatMap((l) => l.pids));
    const ratio = (open: number, soft: number | null) => (soft && soft > 0 ? open / soft : 0);
    // A tracked process keeps its place unless another is fuller by 5 points: no flapping at the cut.
    const bonus = (pid: number, name: string) => (this.processes.get(pid)?.name === name ? 0.05 : 0);
    const candidates = snapshot.processes
      .filter((p) => p.fds.open !== null)
      .map((p) => ({ p, owner: owners.has(p.pid), r: ratio(p.fds.open!, p.fds.soft) + bonus(p.pid, p.name) }))
      // Listener owners first, then the fullest; a steady order keeps the same processes tracked.
      .sort((a, b) => Number(b.owner) - Number(a.owner) || b.r - a.r || a.p.pid - b.p.pid)
      .slice(0, this.options.maxProcesses);
    for (const { p } of candidates) {
      const known = this.processes.get(p.pid);
      if (known && known.name !== p.name) this.forgetProcess(p.pid); // the pid was reused
      if (!admit(this.processes, p.pid, this.seq, this.options.maxProcesses, (pid) => this.forgetProcess(pid))) continue;
      const meta: ProcessMeta = { pid: p.pid, name: p.name, netns: p.netns, seen: this.seq, kinds: known?.name === p.name ? known.kinds : undefined };
      if (p.fdKinds) this.recordKinds(meta, t, p.fdKinds);
      this.processes.set(p.pid, meta);
      this.ring.set(processKey(p.pid, 'open'), p.fds.open!);
      if (p.fds.soft !== null) this.ring.set(processKey(p.pid, 'soft'), p.fds.soft);
      this.ring.set(processKey(p.pid, 'closeWait'), p.sockets.CLOSE_WAIT ?? 0);
    }
  }

  /**
   * Appends the reading and, past KIND_READINGS, drops the one in the middle whose neighbours are
   * closest: the oldest and the newest stay, the rest spread over the window. Readings older than
   * the ring's first sample have left the window.
   */
  private recordKinds(meta: ProcessMeta, t: number, counts: FdKindCounts): void {
    const oldest = this.ring.firstTime();
    const kept = (meta.kinds ?? []).filter((k) => oldest === null || k.t >= oldest);
    kept.push({ t, counts: { ...counts } });
    while (kept.length > KIND_READINGS) {
      let drop = 1;
      for (let i = 2; i < kept.length - 1; i++) if (kept[i + 1].t - kept[i - 1].t < kept[drop + 1].t - kept[drop - 1].t) drop = i;
      kept.splice(drop, 1);
    }
    meta.kinds = kept;
    meta.lastKinds = kept[kept.length - 1];
  }

  private recordListeners(snapshot: Snapshot): void {
    const waited = (l: (typeof snapshot.listeners)[number]) => l.acceptWait?.maxMs ?? 0;
    const chosen = [...snapshot.listeners]
      .sort((a, b) => b.acceptQueue - a.acceptQueue || waited(b) - waited(a) || b.synRecv - a.synRecv || a.port - b.port)
      .slice(0, this.options.maxListeners);
    for (const l of chosen) {
      const id = listenerId(l);
      if (!admit(this.listeners, id, this.seq, this.options.maxListeners, (old) => this.forgetListener(old))) continue;
      this.listeners.set(id, { netns: l.netns, address: l.address, port: l.port, pids: l.pids, seen: this.seq });
      this.ring.set(listenerKey(id, 'queue'), l.acceptQueue);
      if (l.backlog !== null) this.ring.set(listenerKey(id, 'backlog'), l.backlog);
      this.ring.set(listenerKey(id, 'synRecv'), l.synRecv);
      if (l.acceptWait) this.ring.set(listenerKey(id, 'wait'), l.acceptWait.maxMs);
    }
  }

  private recordRates(snapshot: Snapshot, t: number): void {
    const current = snapshot.namespaces.slice(0, this.options.maxNamespaces);
    // A namespace that is gone has no next sample to make a rate with.
    for (const inode of this.previous.keys()) if (!current.some((ns) => ns.inode === inode)) this.previous.delete(inode);
    for (const ns of current) {
      if (!admit(this.namespaces, ns.inode, this.seq, this.options.maxNamespaces, (old) => this.forgetNamespace(old))) continue;
      this.namespaces.set(ns.inode, { inode: ns.inode, name: ns.name, seen: this.seq });
      const before = this.previous.get(ns.inode);
      const values = ns.counters.values;
      if (before && t > before.t) {
        for (const c of COUNTER_RATES) {
          const a = before.values[c];
          const b = values[c];
          // A counter that went down (namespace re-created) has no rate for this step.
          if (a !== undefined && b !== undefined && b >= a) this.ring.set(rateKey(ns.inode, c), ((b - a) * 1000) / (t - before.t));
        }
      }
      const kept: Record<string, number> = {};
      for (const c of COUNTER_RATES) if (values[c] !== undefined) kept[c] = values[c];
      this.previous.set(ns.inode, { t, values: kept });
    }
  }

  private forgetProcess(pid: number): void {
    for (const f of ['open', 'soft', 'closeWait'] as const) this.ring.drop(processKey(pid, f));
    this.processes.delete(pid);
  }

  private forgetListener(id: string): void {
    for (const f of ['queue', 'backlog', 'synRecv', 'wait'] as const) this.ring.drop(listenerKey(id, f));
    this.listeners.delete(id);
  }

  private forgetNamespace(inode: number): void {
    for (const c of COUNTER_RATES) this.ring.drop(rateKey(inode, c));
    this.namespaces.delete(inode);
  }

  /** Metadata of entities whose series all left the window. */
  private prune(): void {
    for (const pid of this.processes.keys()) if (!this.ring.has(processKey(pid, 'open'))) this.processes.delete(pid);
    for (const id of this.listeners.keys()) if (!this.ring.has(listenerKey(id, 'queue'))) this.listeners.delete(id);
    const seen = new Set<number>();
    for (const key of this.ring.keys()) if (key.startsWith('n/')) seen.add(Number(key.split('/')[1]));
    for (const inode of this.namespaces.keys()) if (!seen.has(inode) && !this.previous.has(inode)) this.namespaces.delete(inode);
  }

  fdForecast(pid: number, name: string, limit: number | null): Forecast {
    const key = `${pid}/${name}/${limit}`;
    let f = this.forecasts.get(key);
    if (!f) {
      f = forecastExhaustion(this.fdPoints(pid, name), limit);
      this.forecasts.set(key, f);
    }
    return f;
  }

  fdKindGrowth(pid: number, name: string): FdKindGrowth | null {
    const meta = this.processes.get(pid);
    if (!meta || meta.name !== name || !meta.kinds?.length || !meta.lastKinds) return null;
    const first = meta.kinds[0];
    const now = meta.lastKinds;
    if (now.t <= first.t) return null;
    const deltas: FdKindCounts = {};
    for (const k of new Set([...Object.keys(first.counts), ...Object.keys(now.counts)]) as Set<keyof FdKindCounts>) {
      const d = (now.counts[k] ?? 0) - (first.counts[k] ?? 0);
      if (d !== 0) deltas[k] = d;
    }
    return { spanMs: now.t - first.t, deltas };
  }

  fdPoints(pid: number, name: string): Point[] {
    const meta = this.processes.get(pid);
    if (!meta || meta.name !== name) return [];
    return this.ring.points(processKey(pid, 'open'));
  }
}
