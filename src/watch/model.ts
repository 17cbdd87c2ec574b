/**
 * What `watch` and the dashboard show, computed once per sample from the snapshot, its findings
 * and the history: listeners nearest full, processes nearest their fd limit with their trend and
 * forecast, counter rates, the findings. Pure; JSON-safe (the dashboard sends it as is).
 */
import type { NoForecastReason } from '../history/forecast.js';
import { COUNTER_RATES, listenerId, listenerKey, processKey, rateKey, type History } from '../history/history.js';
import type { Finding, Severity } from '../rules/types.js';
import { findingRef, listenerLabel } from '../rules/support/refs.js';
import { namespaceOf } from '../snapshot/namespaces.js';
import type { Snapshot } from '../snapshot/types.js';
import type { Sample } from './sampler.js';
import { socketCount } from '../snapshot/socket-table.js';
import { groupFindings } from '../render/groups.js';
import { reportOrder } from '../render/answer.js';
import { groupJson, type GroupJson } from '../render/json.js';

export interface ListenerRow {
  id: string;
  /** "127.0.0.1:8889", "[::]:80". */
  label: string;
  netns: number;
  /** Its namespace as `ip netns`, docker or Kubernetes name it ("host", "web", "shop/web-7d9f"). */
  netnsName: string;
  /** "123/node" for the first owner, "" when none is visible. */
  owner: string;
  queue: number;
  backlog: number | null;
  synRecv: number;
  /** queue / backlog, null when the backlog is unknown. */
  ratio: number | null;
  /** Accept-queue samples, oldest first (aligned with Model.times). */
  trend: Array<number | null>;
  /** The longest wait of a client in its queue, ms (0: none waits); null when unknown (not from sock_diag). */
  waitMs: number | null;
  /** Its samples, oldest first (aligned with Model.times). */
  waitTrend: Array<number | null>;
  /** Handshakes dropped on it since it was opened; null when unknown. */
  drops: number | null;
  /** Of those, since the previous sample; null before the second sample or when unknown. */
  dropsNow: number | null;
}

export interface ProcessRow {
  pid: number;
  name: string;
  /** Its network namespace (null: unknown), and that namespace's name as for listeners ("host", "web", "shop/web-7d9f"). */
  netns: number | null;
  netnsName: string;
  user: string | null;
  open: number;
  soft: number | null;
  hard: number | null;
  closeWait: number;
  ratio: number | null;
  /** Trend of open fds per second (Theil–Sen), null when not computed. */
  perSecond: number | null;
  /** Forecast: ms until the soft limit, when the trend supports one. */
  etaMs: number | null;
  /** Why there is no forecast. */
  noForecast: NoForecastReason | null;
  trend: Array<number | null>;
}

export interface RateRow {
  /** "TcpExt.ListenOverflows". */
  counter: string;
  /** Per second over the last interval; null before the second sample. */
  perSecond: number | null;
  trend: Array<number | null>;
}

export interface FindingRow {
  ref: string;
  id: string;
  severity: Severity;
  title: string;
  explain: string;
  fix: string[];
  evidence: Finding['evidence'];
  pid: number | null;
  port: number | null;
}

export interface Model {
  at: number;
  /** The network namespace watched (--netns/--container/--pod), by its label; absent for the whole host. */
  scope?: string;
  hostname: string | null;
  kernel: string | null;
  asRoot: boolean;
  partial: boolean;
  notes: string[];
  counts: Record<Severity, number>;
  sockets: number;
  listenerCount: number;
  processCount: number;
  /** fs.file-nr allocated and fs.file-max. */
  fileNr: { allocated: number; max: number | null } | null;
  /** Sample times of the trends, oldest first. */
  times: number[];
  spanMs: number;
  tookMs: number;
  findings: FindingRow[];
  /**
   * The findings in groups (render/groups.ts, as the report and the dashboard fold them): what the
   * screen lists, one line each, in the findings' order. Under a filter, `refs` keeps the members
   * that match and `count` the whole group's size.
   */
  groups: GroupJson[];
  listeners: ListenerRow[];
  processes: ProcessRow[];
  rates: RateRow[];
}

export type ProcessSort = 'fill' | 'rate' | 'eta';
export const PROCESS_SORTS: readonly ProcessSort[] = ['fill', 'rate', 'eta'];

function listenerRows(snapshot: Snapshot, history: History): ListenerRow[] {
  const names = new Map(snapshot.processes.map((p) => [p.pid, p.name]));
  return snapshot.listeners.map((l) => {
    const id = listenerId(l);
    const pid = l.pids[0];
    return {
      id,
      label: listenerLabel(l),
      netns: l.netns,
      netnsName: namespaceOf(snapshot, l.netns)?.name ?? `netns ${l.netns}`,
      owner: pid === undefined ? '' : `${pid}/${names.get(pid) ?? '?'}`,
      queue: l.acceptQueue,
      backlog: l.backlog,
      synRecv: l.synRecv,
      ratio: l.backlog ? l.acceptQueue / l.backlog : null,
      trend: history.ring.values(listenerKey(id, 'queue')),
      waitMs: l.acceptWait ? l.acceptWait.maxMs : null,
      waitTrend: history.ring.values(listenerKey(id, 'wait')),
      drops: l.drops ?? null,
      dropsNow: l.dropsDelta ?? null,
    };
  });
}

function processRows(snapshot: Snapshot, history: History): ProcessRow[] {
  const rows: ProcessRow[] = [];
  for (const p of snapshot.processes) {
    if (p.fds.open === null) continue;
    const tracked = history.processes.get(p.pid)?.name === p.name;
    const f = tracked ? history.fdForecast(p.pid, p.name, p.fds.soft) : null;
    rows.push({
      pid: p.pid,
      name: p.name,
      netns: p.netns,
      netnsName: p.netns === null ? '?' : (namespaceOf(snapshot, p.netns)?.name ?? `netns ${p.netns}`),
      user: p.user,
      open: p.fds.open,
      soft: p.fds.soft,
      hard: p.fds.hard,
      closeWait: p.sockets.CLOSE_WAIT ?? 0,
      ratio: p.fds.soft ? p.fds.open / p.fds.soft : null,
      perSecond: f?.perSecond ?? null,
      etaMs: f?.etaMs ?? null,
      noForecast: f?.reason ?? 'too-few-samples',
      trend: tracked ? history.ring.values(processKey(p.pid, 'open')) : [],
    });
  }
  return rows;
}

function rateRows(snapshot: Snapshot, history: History): RateRow[] {
  const host = snapshot.namespaces[0]?.inode ?? 0;
  return COUNTER_RATES.map((counter) => ({
    counter,
    perSecond: history.ring.latest(rateKey(host, counter)),
    trend: history.ring.values(rateKey(host, counter)),
  }));
}

export function findingRow(f: Finding): FindingRow {
  return {
    ref: findingRef(f),
    id: f.id,
    severity: f.severity,
    title: f.title,
    explain: f.explain,
    fix: f.fix,
    evidence: f.evidence,
    pid: f.subject.pid ?? null,
    port: f.subject.port ?? null,
  };
}

/** The whole view of one sample. Tables are sorted (listeners fullest first; processes by `sort`), not cut. */
export function buildModel(sample: Sample, history: History, sort: ProcessSort = 'fill'): Model {
  const { snapshot, findings } = sample;
  const counts: Record<Severity, number> = { critical: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  const fileNr = snapshot.tunables['fs.file-nr'];
  const times = history.ring.timeline();
  return {
    at: sample.at,
    hostname: snapshot.host.hostname,
    kernel: snapshot.host.kernel,
    asRoot: snapshot.host.asRoot,
    partial: snapshot.partial,
    notes: snapshot.notes,
    counts,
    sockets: socketCount(snapshot),
    listenerCount: snapshot.listeners.length,
    processCount: snapshot.processes.length,
    fileNr: fileNr ? { allocated: fileNr[0], max: snapshot.tunables['fs.file-max'] } : null,
    times,
    spanMs: times.length ? times[times.length - 1] - times[0] : 0,
    tookMs: sample.tookMs,
    findings: findings.map(findingRow),
    // In the report's order, each id worst first (render/answer.ts reportOrder): the same worst as the report.
    groups: groupFindings(reportOrder(findings), snapshot.identities).map(groupJson),
    listeners: listenerRows(snapshot, history).sort(
      (a, b) => (b.ratio ?? -1) - (a.ratio ?? -1) || (b.waitMs ?? -1) - (a.waitMs ?? -1) || b.queue - a.queue || a.label.localeCompare(b.label),
    ),
    processes: sortProcesses(processRows(snapshot, history), sort),
    rates: rateRows(snapshot, history),
  };
}

export function sortProcesses(rows: ProcessRow[], sort: ProcessSort): ProcessRow[] {
  const byFill = (a: ProcessRow, b: ProcessRow) => (b.ratio ?? -1) - (a.ratio ?? -1) || b.open - a.open || a.pid - b.pid;
  const cmp: Record<ProcessSort, (a: ProcessRow, b: ProcessRow) => number> = {
    fill: byFill,
    rate: (a, b) => (b.perSecond ?? -Infinity) - (a.perSecond ?? -Infinity) || byFill(a, b),
    eta: (a, b) => (a.etaMs ?? Infinity) - (b.etaMs ?? Infinity) || byFill(a, b),
  };
  return [...rows].sort(cmp[sort]);
}

/** Rows whose text contains `filter` (case-insensitive): names, pids, addresses, finding ids and titles. */
export function filterModel(model: Model, filter: string): Model {
  const q = filter.trim().toLowerCase();
  if (!q) return model;
  const has = (...parts: Array<string | number | null>) => parts.some((p) => p !== null && String(p).toLowerCase().includes(q));
  const findings = model.findings.filter((f) => has(f.id, f.title, f.pid, f.port));
  const kept = new Set(findings.map((f) => f.ref));
  return {
    ...model,
    findings,
    groups: model.groups.map((g) => ({ ...g, refs: g.refs.filter((r) => kept.has(r)) })).filter((g) => g.refs.length > 0),
    listeners: model.listeners.filter((l) => has(l.label, l.owner, l.netnsName)),
    processes: model.processes.filter((p) => has(p.name, p.pid, p.user, p.netnsName)),
  };
}
