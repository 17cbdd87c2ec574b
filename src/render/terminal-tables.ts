/**
 * The context under the findings: the busiest listeners, the processes closest to their fd limit,
 * the drop counters of the window. Each is short on purpose; `sockdoc sockets` and `--json` have it all.
 */
import type { Counters, Listener, ProcessInfo, Snapshot } from '../snapshot/types.js';
import type { LimitOrigin } from '../provenance/types.js';
import { compareListeners } from '../snapshot/listeners.js';
import { listenerLabel } from '../rules/support/refs.js';
import { settingText } from '../provenance/source-text.js';
import { duration, pack, percent, pidName, table, type Painter, type Style } from './format.js';

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

/** Fullest queue first, then the most connections stuck behind it; port order breaks ties. */
export function busiestListeners(listeners: readonly Listener[]): Listener[] {
  const waiting = (l: Listener) => l.synRecv + l.establishedUnaccepted + l.closeWaitUnaccepted;
  return [...listeners].sort(
    (a, b) => queueRatio(b) - queueRatio(a) || waiting(b) - waiting(a) || compareListeners(a, b),
  );
}

function ownersText(l: Listener, names: ReadonlyMap<number, string>): string {
  if (l.pids.length === 0) return '-';
  const first = pidName(l.pids[0], names.get(l.pids[0]));
  return l.pids.length === 1 ? first : `${first} +${l.pids.length - 1}`;
}

export function listenersSection(listeners: readonly Listener[], snapshot: Snapshot, paint: Painter, filtered: boolean): string[] {
  if (listeners.length === 0) return [];
  const names = new Map(snapshot.processes.map((p) => [p.pid, p.name]));
  const shown = busiestListeners(listeners).slice(0, MAX_LISTENERS);
  const qualifier = filtered ? 'matching the filter' : 'busiest first';
  const count = shown.length < listeners.length ? `, ${shown.length} of ${listeners.length}` : '';
  const out = [paint('bold', 'Listeners') + paint('dim', `  ${qualifier}${count}`)];
  // Thirty pods may all listen on 0.0.0.0:8080: with listeners in several namespaces, say which.
  const nsNames = new Map((snapshot.namespaces ?? []).map((n) => [n.inode, n.name]));
  const manyNamespaces = new Set(listeners.map((l) => l.netns)).size > 1;
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
      ],
      paint,
      '  ',
    ),
  );
  if (listeners.length > shown.length) out.push(paint('dim', `  … ${listeners.length - shown.length} more: sockdoc sockets --state LISTEN`));
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
  const columns = [
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
 * The drop counters that moved in the window, or their totals when only one read was made.
 * Usually one line; wrapped under its label when many moved.
 */
export function countersLines(c: Counters, width: number, paint: Painter): string[] {
  const label = paint('bold', 'Counters') + '  ';
  // No TcpExt/Tcp counters at all: the files were missing or unreadable. Saying "no drops" would be a lie.
  if (!DROP_COUNTERS.some((k) => k in c.values)) return [label + paint('dim', 'unavailable (see notes)')];
  const items = counterItems(c);
  if (items.length === 0) {
    return [label + paint('dim', c.deltas !== null ? `no drops, overflows or aborts in the ${duration(c.intervalMs)} window` : 'no drops, overflows or aborts since boot')];
  }
  return packCounters(items, counterTail(c), width, paint).map((l, i) => (i === 0 ? label : COUNTERS_PAD) + l);
}

/**
 * The counters of a namespace other than the host's, under the host's line, named ("docker
 * container web: ListenOverflows 129 …"). Nothing when it counted nothing: a quiet container
 * costs no line.
 */
export function namespaceCountersLines(scope: string, c: Counters, width: number, paint: Painter): string[] {
  const items = counterItems(c);
  if (items.length === 0) return [];
  return packCounters([`${scope}: ${items[0]}`, ...items.slice(1)], counterTail(c), width, paint).map((l) => COUNTERS_PAD + l);
}

const COUNTERS_PAD = ' '.repeat('Counters  '.length);

/** "ListenOverflows 129" (since boot) or "ListenOverflows +3" (in the window), for each non-zero drop counter. */
function counterItems(c: Counters): string[] {
  const short = (k: string) => k.slice(k.indexOf('.') + 1);
  if (c.deltas !== null) {
    const deltas = c.deltas;
    return DROP_COUNTERS.filter((k) => (deltas[k] ?? 0) > 0).map((k) => `${short(k)} +${deltas[k]}`);
  }
  return DROP_COUNTERS.filter((k) => (c.values[k] ?? 0) > 0).map((k) => `${short(k)} ${c.values[k]}`);
}

function counterTail(c: Counters): string {
  return c.deltas !== null ? `in ${duration(c.intervalMs)}` : 'since boot (one read: no rate)';
}

function packCounters(items: string[], tail: string, width: number, paint: Painter): string[] {
  const lines = pack([...items, tail], width - COUNTERS_PAD.length);
  // The qualifier is dim wherever packing put it: it is the last item of the last line.
  const last = lines.length - 1;
  lines[last] = lines[last].endsWith(tail) ? lines[last].slice(0, -tail.length) + paint('dim', tail) : lines[last];
  return lines;
}
