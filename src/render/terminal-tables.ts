/**
 * The context under the findings: the busiest listeners, the processes closest to their fd limit,
 * the drop counters of the window. Each is short on purpose; `sockdoc sockets` and `--json` have it all.
 */
import type { Counters, Listener, ProcessInfo, Snapshot } from '../snapshot/types.js';
import type { LimitOrigin } from '../provenance/types.js';
import { compareListeners } from '../snapshot/listeners.js';
import { listenerLabel } from '../rules/support/refs.js';
import { settingText } from '../provenance/source-text.js';
import { duration, pack, percent, pidName, table, type Column, type Painter, type Style } from './format.js';
import { waitText } from '../rules/support/text.js';

export const MAX_LISTENERS = 8;
export const MAX_FD_ROWS = 5;
/** Below this share of the soft limit a process is not worth a row (unless filtered for). */
export const FD_SHOWN_RATIO = 0.5;

/** The accept queue holds backlog + 1 (include/net/sock.h sk_acceptq_is_full): beyond backlog = full. */
function queueRatio(l: Listener): number {
  if (l.backlog === null) return l.acceptQueue > 0 ? 0.5 : 0;
  return l.backlog === 0 ? (l.acceptQueue > 0 ? 2 : 0) : l.acceptQueue / l.backlog;
}

function queueStyle(l: Listener): Style | null {
  if (l.backlog === null) return null;
  if (l.acceptQueue > l.backlog) return 'red';
  if (l.acceptQueue > 0 && l.acceptQueue >= 0.8 * l.backlog) return 'yellow';
  return null;
}

/**
 * What hurts on a listener now, in clients: those waiting in its accept queue plus those it dropped
 * in the window (its own sk_drops); the same count as hurtOf() of its accept-queue finding.
 */
export function listenerHurt(l: Listener): number {
  return l.acceptQueue + (l.dropsDelta ?? 0);
}

/**
 * Busiest first, by what hurts (as groups order their members, src/render/groups.ts compareWorst):
 * the most clients waiting or dropped in the window, then the fullest queue, the longest wait, the
 * most connections stuck behind it; port order breaks ties.
 */
export function busiestListeners(listeners: readonly Listener[]): Listener[] {
  const waiting = (l: Listener) => l.synRecv + l.establishedUnaccepted + l.closeWaitUnaccepted;
  const waited = (l: Listener) => l.acceptWait?.maxMs ?? 0;
  return [...listeners].sort(
    (a, b) => listenerHurt(b) - listenerHurt(a) || queueRatio(b) - queueRatio(a) || waited(b) - waited(a) || waiting(b) - waiting(a) || compareListeners(a, b),
  );
}

/** "+108 (140)": drops in the window, then since the listener was opened; "12" with one read; "-" unknown. */
export function dropsCell(l: Listener): string {
  if (l.drops === null || l.drops === undefined) return '-';
  if (l.dropsDelta === null || l.dropsDelta === undefined) return String(l.drops);
  return l.dropsDelta > 0 ? `+${l.dropsDelta} (${l.drops})` : String(l.drops);
}

/** "4.1 s/2.0 s": the longest and the median wait of the clients in the queue; "0" none waits; "-" unknown. */
export function waitCell(l: Listener): string {
  const w = l.acceptWait;
  if (!w) return '-';
  if (w.measured === 0) return '0';
  return `${waitText(w.maxMs)}/${waitText(w.medianMs)}`;
}

/** The drops and wait columns, each only when some listener shown has a value: a /proc read would show a column of dashes. */
export function listenerExtraColumns(shown: readonly Listener[]): Column<Listener>[] {
  const out: Column<Listener>[] = [];
  if (shown.some((l) => l.drops !== null && l.drops !== undefined)) {
    out.push({ header: 'drops', align: 'right', cell: dropsCell, style: (l) => ((l.dropsDelta ?? 0) > 0 ? 'red' : null) });
  }
  if (shown.some((l) => l.acceptWait)) {
    out.push({ header: 'wait max/p50', align: 'right', cell: waitCell, style: (l) => ((l.acceptWait?.maxMs ?? 0) >= 1000 ? 'yellow' : null) });
  }
  return out;
}

function ownersText(l: Listener, names: ReadonlyMap<number, string>): string {
  if (l.pids.length === 0) return '-';
  const first = pidName(l.pids[0], names.get(l.pids[0]));
  return l.pids.length === 1 ? first : `${first} +${l.pids.length - 1}`;
}

/** A netns column: rows in several namespaces, or one outside the host's (a container's python3 is not the host's). */
function showNetns(snapshot: Snapshot, inodes: ReadonlyArray<number | null>): boolean {
  const kinds = new Map((snapshot.namespaces ?? []).map((n) => [n.inode, n.kind]));
  return new Set(inodes).size > 1 || inodes.some((i) => i !== null && kinds.has(i) && kinds.get(i) !== 'host');
}

export function listenersSection(listeners: readonly Listener[], snapshot: Snapshot, paint: Painter, filtered: boolean): string[] {
  if (listeners.length === 0) return [];
  const names = new Map(snapshot.processes.map((p) => [p.pid, p.name]));
  const shown = busiestListeners(listeners).slice(0, MAX_LISTENERS);
  const qualifier = filtered ? 'matching the filter' : 'busiest first';
  const count = shown.length < listeners.length ? `, ${shown.length} of ${listeners.length}` : '';
  const out = [paint('bold', 'Listeners') + paint('dim', `  ${qualifier}${count}`)];
  // Thirty pods may all listen on 0.0.0.0:8080: with listeners in several namespaces, or any outside the host's, say which.
  const nsNames = new Map((snapshot.namespaces ?? []).map((n) => [n.inode, n.name]));
  const manyNamespaces = showNetns(snapshot, listeners.map((l) => l.netns));
  out.push(
    ...table(
      shown,
      [
        ...(manyNamespaces ? [{ header: 'netns', cell: (l: Listener) => nsNames.get(l.netns) ?? String(l.netns) }] : []),
        { header: 'listen', cell: (l) => listenerLabel(l) },
        { header: 'process', cell: (l) => ownersText(l, names) },
        { header: 'queue/backlog', align: 'right', cell: (l) => `${l.acceptQueue}/${l.backlog ?? '?'}`, style: queueStyle },
        { header: 'syn_recv', align: 'right', cell: (l) => (l.family === 'unix' ? '-' : String(l.synRecv)) },
        { header: 'unaccepted est/cw', align: 'right', cell: (l) => (l.family === 'unix' ? '-' : `${l.establishedUnaccepted}/${l.closeWaitUnaccepted}`) },
        ...listenerExtraColumns(shown),
      ],
      paint,
      '  ',
    ),
  );
  // The command names the namespace read (`--container web`) when the report is of one.
  const scope = snapshot.scope ? ` ${snapshot.scope.asked}` : '';
  if (listeners.length > shown.length) out.push(paint('dim', `  … ${listeners.length - shown.length} more: sockdoc sockets${scope} --state LISTEN`));
  return out;
}

/** open/soft, or null when either is unknown (unreadable fd dir, unlimited). */
export function fdRatio(p: ProcessInfo): number | null {
  const { open, soft } = p.fds;
  if (open === null || soft === null) return null;
  return soft === 0 ? (open > 0 ? 1 : 0) : open / soft;
}

/** Processes by share of their soft limit used, highest first; unknowns left out. */
export function nearestFdLimit(processes: readonly ProcessInfo[]): ProcessInfo[] {
  return processes
    .filter((p) => fdRatio(p) !== null)
    .sort((a, b) => fdRatio(b)! - fdRatio(a)! || (b.fds.open ?? 0) - (a.fds.open ?? 0) || a.pid - b.pid);
}

/** "systemd supervisord.service LimitNOFILE=1024:4096": where the soft limit was set. */
export function originText(o: LimitOrigin | undefined): string {
  if (!o) return '';
  const s = o.source;
  const where = s.unit ?? s.file ?? (s.pid !== null ? `pid ${s.pid}` : '');
  const setting = settingText(s);
  return [s.layer, where, setting].filter(Boolean).join(' ');
}

function fdStyle(p: ProcessInfo): Style | null {
  const r = fdRatio(p) ?? 0;
  return r >= 0.95 ? 'red' : r >= 0.8 ? 'yellow' : null;
}

export function fdSection(processes: readonly ProcessInfo[], snapshot: Snapshot, paint: Painter, filtered: boolean): string[] {
  const ranked = nearestFdLimit(processes);
  if (ranked.length === 0) return [];
  const shown = (filtered ? ranked : ranked.filter((p) => fdRatio(p)! >= FD_SHOWN_RATIO)).slice(0, MAX_FD_ROWS);
  if (shown.length === 0) {
    const top = ranked[0];
    return [paint('bold', 'File descriptors') + paint('dim', `  highest use ${percent(fdRatio(top)!)}: ${pidName(top.pid, top.name)} ${top.fds.open}/${top.fds.soft}`)];
  }
  const withOrigin = shown.some((p) => snapshot.limitOrigins.has(p.pid));
  // Two containers' python3 at their limit: with processes in several namespaces, or any outside the host's, say which.
  const nsNames = new Map((snapshot.namespaces ?? []).map((n) => [n.inode, n.name]));
  const manyNamespaces = showNetns(snapshot, shown.map((p) => p.netns));
  const columns = [
    ...(manyNamespaces ? [{ header: 'netns', cell: (p: ProcessInfo) => (p.netns === null ? '?' : (nsNames.get(p.netns) ?? String(p.netns))) }] : []),
    { header: 'pid', align: 'right' as const, cell: (p: ProcessInfo) => String(p.pid) },
    { header: 'name', cell: (p: ProcessInfo) => p.name },
    { header: 'user', cell: (p: ProcessInfo) => p.user ?? String(p.uid) },
    { header: 'open', align: 'right' as const, cell: (p: ProcessInfo) => String(p.fds.open) },
    { header: 'soft', align: 'right' as const, cell: (p: ProcessInfo) => String(p.fds.soft) },
    { header: 'hard', align: 'right' as const, cell: (p: ProcessInfo) => (p.fds.hard === null ? 'unlimited' : String(p.fds.hard)) },
    { header: 'used', align: 'right' as const, cell: (p: ProcessInfo) => percent(fdRatio(p)!), style: fdStyle },
  ];
  if (withOrigin) columns.push({ header: 'limit set by', cell: (p: ProcessInfo) => originText(snapshot.limitOrigins.get(p.pid)) });
  const qualifier = filtered ? 'matching the filter' : 'nearest their limit';
  return [paint('bold', 'File descriptors') + paint('dim', `  ${qualifier}`), ...table(shown, columns, paint, '  ')];
}

/** Counters that mean a connection was refused, dropped or cut (kernel-facts §5). */
export const DROP_COUNTERS = [
  'TcpExt.ListenOverflows',
  'TcpExt.ListenDrops',
  'TcpExt.TCPReqQFullDrop',
  'TcpExt.TCPReqQFullDoCookies',
  'TcpExt.SyncookiesSent',
  'TcpExt.SyncookiesFailed',
  'TcpExt.TCPBacklogDrop',
  'TcpExt.EmbryonicRsts',
  'TcpExt.TCPAbortOnData',
  'TcpExt.TCPAbortOnClose',
  'TcpExt.TCPAbortOnMemory',
  'Tcp.AttemptFails',
  'Tcp.EstabResets',
] as const;

/**
 * What a namespace's counters count from: the host's since boot; any other namespace's since the
 * namespace was created (each namespace has its own TcpExt/Tcp MIB, net/ipv4/proc.c, zeroed when
 * it is made), never "since boot".
 */
export type CounterOrigin = 'boot' | 'creation';

function sinceText(origin: CounterOrigin): string {
  return origin === 'boot' ? 'since boot' : 'since the namespace was created';
}

/**
 * The drop counters that moved in the window, or their totals when only one read was made.
 * Usually one line; wrapped under its label when many moved.
 */
export function countersLines(c: Counters, width: number, paint: Painter, origin: CounterOrigin = 'boot'): string[] {
  const label = paint('bold', 'Counters') + '  ';
  // No TcpExt/Tcp counters at all: the files were missing or unreadable. Saying "no drops" would be a lie.
  if (!DROP_COUNTERS.some((k) => k in c.values)) return [label + paint('dim', 'unavailable (see notes)')];
  const items = c.deltas !== null ? deltaItems(c.deltas) : totalItems(c);
  if (items.length === 0) {
    return [label + paint('dim', c.deltas !== null ? `no drops, overflows or aborts in the ${duration(c.intervalMs)} window` : `no drops, overflows or aborts ${sinceText(origin)}`)];
  }
  const tail = c.deltas !== null ? `in ${duration(c.intervalMs)}` : `${sinceText(origin)} (one read: no rate)`;
  return packCounters(items, tail, width, paint).map((l, i) => (i === 0 ? label : COUNTERS_PAD) + l);
}

/**
 * The counters of a namespace other than the host's, under the host's line, named ("docker
 * container web: ListenOverflows +3 in 1.0 s"), then what it counted since it was created
 * ("docker container web: ListenOverflows 138 since the namespace was created"): with a window
 * too, a container that dropped handshakes an hour ago says so. Nothing when it counted nothing: a
 * quiet container costs no line.
 */
export function namespaceCountersLines(scope: string, c: Counters, width: number, paint: Painter): string[] {
  const out: string[] = [];
  const named = (items: string[]) => [`${scope}: ${items[0]}`, ...items.slice(1)];
  const moved = c.deltas !== null ? deltaItems(c.deltas) : [];
  if (moved.length) out.push(...packCounters(named(moved), `in ${duration(c.intervalMs)}`, width, paint));
  const totals = totalItems(c);
  if (totals.length) out.push(...packCounters(named(totals), c.deltas !== null ? sinceText('creation') : `${sinceText('creation')} (one read: no rate)`, width, paint));
  return out.map((l) => COUNTERS_PAD + l);
}

const COUNTERS_PAD = ' '.repeat('Counters  '.length);
const shortName = (k: string) => k.slice(k.indexOf('.') + 1);

/** "ListenOverflows +3": each drop counter that rose in the window. */
function deltaItems(deltas: Record<string, number>): string[] {
  return DROP_COUNTERS.filter((k) => (deltas[k] ?? 0) > 0).map((k) => `${shortName(k)} +${deltas[k]}`);
}

/** "ListenOverflows 129": each non-zero drop counter's total (since boot, or since the namespace was created). */
function totalItems(c: Counters): string[] {
  return DROP_COUNTERS.filter((k) => (c.values[k] ?? 0) > 0).map((k) => `${shortName(k)} ${c.values[k]}`);
}

function packCounters(items: string[], tail: string, width: number, paint: Painter): string[] {
  const lines = pack([...items, tail], width - COUNTERS_PAD.length);
  // The qualifier is dim wherever packing put it: it is the last item of the last line.
  const last = lines.length - 1;
  lines[last] = lines[last].endsWith(tail) ? lines[last].slice(0, -tail.length) + paint('dim', tail) : lines[last];
  return lines;
}
