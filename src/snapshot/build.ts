/**
 * One consistent host read. Counters are read twice around the sampling window; everything else
 * is read once at the end of it, sockets during the fd walk so owners match.
 */
import { readLinkUnder } from '../probe/read-file.js';
import { readCounters } from '../probe/netstat.js';
import { readNetTcp } from '../probe/net-tcp.js';
import { readTunables } from '../probe/sysctl.js';
import { readHost } from '../probe/host.js';
import { readProcessesWhile } from '../probe/processes.js';
import { readListenBacklogs } from '../probe/sock-diag.js';
import { deriveListeners } from './listeners.js';
import { readCloseWaitInodes } from '../probe/close-wait-inodes.js';
import { readCaptureTime } from '../probe/capture-meta.js';
import { pressureOver, readPressure } from './net-pressure.js';
import type { Counters, ProbeReport, ProcessInfo, Snapshot, TcpSocket, Owner, Tunables } from './types.js';

export interface SnapshotOptions {
  /** Filesystem root: "/" for the live host, or a captured/fixture tree. */
  root?: string;
  /** Sampling window for counter rates in ms; 0 = one read. Ignored (0) for a non-live root. */
  intervalMs?: number;
  /** Only these processes (lab and tests scope a snapshot to their own processes). */
  pids?: number[];
  /** Called before the sampling wait, so the CLI can show progress. */
  onWait?: (ms: number) => void;
  /** Clock, injectable for golden tests. */
  now?: () => Date;
}

/** Inode of sockdoc's own network namespace (readlink /proc/self/ns/net -> "net:[INODE]"); 0 if unreadable. */
function readOwnNetns(): number {
  try {
    const m = /^net:\[(\d+)\]$/.exec(readLinkUnder('/', 'proc/self/ns/net'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Increase of each counter between two readings (absent or decreasing ones: no delta). */
export function diffCounters(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const d: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const b = before[k];
    // A counter absent from the first read, or one that went down (namespace re-created), has no delta.
    if (b !== undefined && v >= b) d[k] = v - b;
  }
  return d;
}

/** Counts each process's sockets by state, once per distinct pid holding the socket. */
function countSocketsByOwner(sockets: readonly TcpSocket[], owners: ReadonlyMap<number, Owner[]>, byPid: Map<number, ProcessInfo>): void {
  for (const s of sockets) {
    if (s.inode === 0) continue;
    const holders = owners.get(s.inode);
    if (!holders) continue;
    let last = -1;
    for (const h of holders) {
      if (h.pid === last) continue; // several fds of one process: count the socket once
      last = h.pid;
      const p = byPid.get(h.pid);
      if (p) p.sockets[s.state] = (p.sockets[s.state] ?? 0) + 1;
    }
  }
}

function sentence(text: string): string {
  const t = text[0].toUpperCase() + text.slice(1);
  return t.endsWith('.') ? t : `${t}.`;
}

/** Tunables a rule needs; netdev_max_backlog is left out: it exists only in the initial network namespace. */
const NEEDED_TUNABLES = [
  'net.core.somaxconn',
  'net.ipv4.tcp_max_syn_backlog',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.tcp_abort_on_overflow',
  'fs.file-max',
  'fs.file-nr',
] as const;

/**
 * Inputs that were absent (a trimmed capture, an unusual kernel): the report must say which
 * findings could not be raised rather than look healthy.
 */
function missingInputs(counters: Counters, tunables: Tunables): { notes: string[]; partial: boolean } {
  const notes: string[] = [];
  if (!Object.keys(counters.values).some((k) => k.startsWith('TcpExt.'))) {
    notes.push('TCP counters (proc/net/netstat) could not be read: dropped handshakes (listen-overflows, SYN drops) cannot be detected.');
  }
  const absent = NEEDED_TUNABLES.filter((k) => tunables[k] === null);
  if (absent.length) notes.push(`Kernel tunables not available: ${absent.join(', ')}; findings that compare against them are skipped.`);
  return { notes, partial: notes.length > 0 };
}

export async function buildSnapshot(opts: SnapshotOptions = {}): Promise<Snapshot> {
  const root = opts.root ?? '/';
  const live = root === '/';
  const now = opts.now ?? (() => new Date());
  const probes: ProbeReport[] = [];
  const notes: string[] = [];
  const intervalMs = live ? Math.max(0, opts.intervalMs ?? 1000) : 0;

  const pressureStart = intervalMs > 0 ? readPressure(root) : null;
  let counters: Counters;
  // CLOSE_WAIT at the start of the window (issue 11): persisting ones are a leak, new ones churn.
  let closeWaitAtStart: Set<number> | null = null;
  if (intervalMs > 0) {
    const first = readCounters(root);
    closeWaitAtStart = readCloseWaitInodes(root);
    opts.onWait?.(intervalMs);
    await sleep(intervalMs);
    const second = readCounters(root);
    probes.push(...second.reports);
    counters = { values: second.values, deltas: diffCounters(first.values, second.values), intervalMs };
  } else {
    const once = readCounters(root);
    probes.push(...once.reports);
    counters = { values: once.values, deltas: null, intervalMs: 0 };
  }

  const pressure = pressureOver(pressureStart, readPressure(root), intervalMs);
  probes.push(...pressure.reports);
  notes.push(...pressure.notes);
  const tunables = readTunables(root);
  probes.push(...tunables.reports);
  const host = readHost(root);
  probes.push(...host.reports);

  // The fd walk runs on worker threads (native addon) while this thread reads the sockets (sock_diag
  // dump or /proc/net/tcp): the two largest reads overlap, and sockets and owners are read as close
  // together as they can be.
  const { scan: procs, value: net } = await readProcessesWhile(root, opts.pids ? { pids: opts.pids } : {}, () =>
    readNetTcp(root, { netns: live ? readOwnNetns() : 0 }),
  );
  probes.push(...net.reports);
  notes.push(...net.notes);
  probes.push(...procs.reports);
  notes.push(...procs.notes);
  // sockdoc is never a suspect in its own report: its own pid is left out of a live read.
  if (live) procs.processes = procs.processes.filter((p) => p.pid !== process.pid);

  const byPid = new Map(procs.processes.map((p) => [p.pid, p]));
  for (const holders of procs.owners.values()) if (holders.length > 1) holders.sort((a, b) => a.pid - b.pid || a.fd - b.fd);
  countSocketsByOwner(net.sockets, procs.owners, byPid);

  const hasListeners = net.sockets.some((s) => s.state === 'LISTEN');
  // The all-states dump already carried every listener's backlog limit: no second dump.
  const diag = !hasListeners
    ? null
    : net.backlogs
      ? {
          backlogs: net.backlogs,
          v6only: net.v6only,
          source: 'sock_diag' as const,
          report: { probe: 'sock-diag', source: 'netlink NETLINK_SOCK_DIAG (from the net-tcp dump)', status: 'ok' as const, ms: 0 },
        }
      : readListenBacklogs(root);
  if (diag) {
    probes.push(diag.report);
    // A refused or failed read is also a non-ok probe, which the loop below turns into a note: once is enough.
    if (diag.source === null && diag.report.status === 'absent') notes.push(sentence(diag.report.detail ?? 'backlog limits of listeners are unknown: sock_diag and ss were unavailable'));
    else if (diag.source === 'ss') notes.push('Backlog limits were read from `ss` (the native sock_diag module is not built).');
  }
  const listeners = deriveListeners(net.sockets, procs.owners, diag?.backlogs ?? new Map(), diag?.source ?? null, diag?.v6only);

  for (const r of probes) {
    if (r.status === 'ok' || r.status === 'absent') continue;
    if (r.status === 'partial') continue; // the probe wrote its own aggregated note
    notes.push(`${r.source}: ${r.status}${r.detail ? ` (${r.detail})` : ''}.`);
  }
  const missing = missingInputs(counters, tunables.tunables);
  notes.push(...missing.notes);
  const partial =
    missing.partial ||
    probes.some((r) => r.status !== 'ok' && r.status !== 'absent') ||
    (net.sockets.length === 0 && net.reports.every((r) => r.status !== 'ok'));

  // Until every namespace is read, the snapshot holds the one sockdoc runs in, named "host".
  const netns = live ? readOwnNetns() : 0;
  return {
    namespaces: [
      {
        inode: netns,
        kind: 'host',
        name: 'host',
        pids: procs.processes.map((p) => p.pid).sort((a, b) => a - b),
        socketSource: net.source,
        tunables: tunables.tunables,
        counters,
        listenerCount: listeners.length,
        conntrack: pressure.conntrack,
        sockstat: pressure.sockstat,
        partial,
        notes: [],
      },
    ],
    host: {
      hostname: host.hostname,
      kernel: host.kernel,
      root,
      takenAt: now().toISOString(),
      capturedAt: live ? null : readCaptureTime(root),
      asRoot: live && process.geteuid?.() === 0,
    },
    sockets: net.sockets,
    owners: procs.owners,
    processes: procs.processes,
    listeners,
    tunables: tunables.tunables,
    counters,
    conntrack: pressure.conntrack,
    sockstat: pressure.sockstat,
    softnet: pressure.softnet,
    probes,
    notes,
    partial,
    limitOrigins: new Map(),
    closeWaitAtStart,
  };
}
