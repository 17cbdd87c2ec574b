/**
 * The kernel-wide resources behind the newer findings, read together so that build.ts stays
 * short: the conntrack table (per namespace), /proc/net/sockstat and /proc/net/softnet_stat.
 * Event counters (conntrack stat columns, softnet drops) are read at both ends of the sampling
 * window like the TcpExt counters, so rules can tell "now" from "since boot".
 */
import { readNfConntrack } from '../probe/nf-conntrack.js';
import { readNfConntrackStat, type NfConntrackStat } from '../probe/nf-conntrack-stat.js';
import { readSockstat } from '../probe/sockstat.js';
import { readSoftnetStat } from '../probe/softnet-stat.js';
import type { ConntrackTable, ProbeReport, Softnet, SoftnetCpu, Sockstat } from './types.js';

/** One reading of everything. */
export interface PressureSample {
  conntrack: { count: number; max: number | null; buckets: number | null } | null;
  conntrackStat: NfConntrackStat | null;
  sockstat: Sockstat | null;
  softnet: SoftnetCpu[] | null;
  reports: ProbeReport[];
}

export interface NetPressure {
  conntrack: ConntrackTable | null;
  sockstat: Sockstat | null;
  softnet: Softnet | null;
  reports: ProbeReport[];
  /** What could not be judged (an older capture without these files), as sentences. */
  notes: string[];
}

export function readPressure(root = '/'): PressureSample {
  const ct = readNfConntrack(root);
  const reports = [...ct.reports];
  // The stat file belongs to the same module: read it only when the module is there.
  const stat = ct.value ? readNfConntrackStat(root) : null;
  if (stat) reports.push(stat.report);
  const sockstat = readSockstat(root);
  const softnet = readSoftnetStat(root);
  reports.push(sockstat.report, softnet.report);
  return { conntrack: ct.value, conntrackStat: stat?.value ?? null, sockstat: sockstat.value, softnet: softnet.value, reports };
}

/** Increase of each counter present in both readings (a counter that went down has none). */
export function increase(before: Readonly<Record<string, number>>, after: Readonly<Record<string, number>>): Record<string, number> {
  const d: Record<string, number> = {};
  // for-in, not Object.entries: ~300 counters per namespace, every namespace of every window.
  for (const k in after) {
    const v = after[k];
    const b = before[k];
    if (b !== undefined && v >= b) d[k] = v - b;
  }
  return d;
}

function sum(cpus: readonly SoftnetCpu[], key: 'dropped' | 'timeSqueeze' | 'processed'): number {
  return cpus.reduce((a, c) => a + c[key], 0);
}

/** The end-of-window reading, with increases since `first` (null: one read, no rates). */
export function pressureOver(first: PressureSample | null, last: PressureSample, intervalMs: number): NetPressure {
  const window = first ? intervalMs : 0;
  let conntrack: ConntrackTable | null = null;
  if (last.conntrack) {
    const stats = last.conntrackStat?.totals ?? null;
    const before = first?.conntrackStat?.totals;
    conntrack = {
      ...last.conntrack,
      stats: stats ? { ...stats } : null,
      statDeltas: stats && before ? increase(before, stats) : null,
      intervalMs: window,
    };
  }
  let softnet: Softnet | null = null;
  if (last.softnet) {
    const dropped = sum(last.softnet, 'dropped');
    const was = first?.softnet ? sum(first.softnet, 'dropped') : null;
    softnet = {
      cpus: last.softnet,
      dropped,
      droppedDelta: was !== null && dropped >= was ? dropped - was : null,
      timeSqueeze: sum(last.softnet, 'timeSqueeze'),
      intervalMs: window,
    };
  }
  const missing: string[] = [];
  if (!last.sockstat) missing.push('proc/net/sockstat (tcp-memory-pressure, tcp-orphans)');
  if (!last.softnet) missing.push('proc/net/softnet_stat (netdev-backlog-drops)');
  const notes = missing.length ? [`Not read, so not judged: ${missing.join('; ')}.`] : [];
  return { conntrack, sockstat: last.sockstat, softnet, reports: last.reports, notes };
}

/**
 * `after`'s softnet drops counted since `before` (two one-read snapshots, `ms` apart): what
 * pressureOver gives a window, for samplers that read once per sample (watch, serve).
 */
export function softnetSince(before: Softnet | null | undefined, after: Softnet | null | undefined, ms: number): Softnet | null | undefined {
  if (!before || !after) return after;
  return { ...after, droppedDelta: after.dropped >= before.dropped ? after.dropped - before.dropped : null, intervalMs: ms };
}

/** `after`'s conntrack stat columns counted since `before`, as softnetSince. */
export function conntrackSince(before: ConntrackTable | null | undefined, after: ConntrackTable | null | undefined, ms: number): ConntrackTable | null | undefined {
  if (!before?.stats || !after?.stats) return after;
  return { ...after, statDeltas: increase(before.stats, after.stats), intervalMs: ms };
}
