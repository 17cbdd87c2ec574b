/**
 * The conditions behind each finding, shared so that a rule linking to another finding
 * (`related`) uses exactly the test that makes the other finding fire.
 */
import type { Counters, Listener, ProcessInfo, Tunables } from '../../snapshot/types.js';
import type { RuleOptions } from '../types.js';

/** fd-limit-exhausted / fd-limit-near, or null (also when open or soft is unknown). */
export function fdFindingId(p: ProcessInfo, options: RuleOptions): 'fd-limit-exhausted' | 'fd-limit-near' | null {
  const { open, soft } = p.fds;
  if (open === null || soft === null) return null;
  // Compare by multiplication, not division: soft may be 0 (then any open count is exhaustion).
  if (open >= options.fdCritical * soft) return 'fd-limit-exhausted';
  if (open >= options.fdWarning * soft) return 'fd-limit-near';
  return null;
}

/** Where the accept-queue limit we compare against comes from. */
export type QueueBasis = 'backlog' | 'somaxconn';

export interface QueueState {
  level: 'full' | 'filling' | null;
  /** The listener's backlog, or somaxconn as an upper bound of it when the backlog is unknown. */
  limit: number | null;
  basis: QueueBasis | null;
}

/**
 * The accept queue holds backlog + 1: it is full when sk_ack_backlog > sk_max_ack_backlog
 * (include/net/sock.h sk_acceptq_is_full). Without the backlog (no sock_diag, no ss),
 * somaxconn still bounds it from above (net/socket.c __sys_listen clamps to it), so a
 * queue beyond somaxconn proves the same, unless somaxconn was lowered after listen().
 */
export function queueState(l: Listener, tunables: Tunables, options: RuleOptions): QueueState {
  const somaxconn = tunables['net.core.somaxconn'];
  const limit = l.backlog ?? somaxconn;
  const basis: QueueBasis | null = l.backlog !== null ? 'backlog' : somaxconn !== null ? 'somaxconn' : null;
  if (limit === null) return { level: null, limit: null, basis: null };
  if (l.acceptQueue > limit) return { level: 'full', limit, basis };
  // acceptQueue > 0: with listen(fd, 0) an empty queue is not "filling".
  if (l.acceptQueue > 0 && l.acceptQueue >= options.queueWarning * limit) return { level: 'filling', limit, basis };
  return { level: null, limit, basis };
}

export function queueFindingId(state: QueueState): 'accept-queue-full' | 'accept-queue-filling' | null {
  if (state.level === 'full') return 'accept-queue-full';
  if (state.level === 'filling') return 'accept-queue-filling';
  return null;
}

/** backlog-clamped fires when the kernel cut the backlog down to somaxconn. */
export function isBacklogClamped(l: Listener, tunables: Tunables): boolean {
  const somaxconn = tunables['net.core.somaxconn'];
  return somaxconn !== null && l.backlog !== null && l.backlog === somaxconn;
}

/** Counter delta over the window; null when only one read was made. */
export function delta(counters: Counters, key: string): number | null {
  if (counters.deltas === null) return null;
  return counters.deltas[key] ?? 0;
}

export function total(counters: Counters, key: string): number | null {
  return counters.values[key] ?? null;
}

/** listen-overflows: 'active' = dropped during the window, 'past' = only since boot. */
export function overflowState(counters: Counters): 'active' | 'past' | null {
  const d = (delta(counters, 'TcpExt.ListenOverflows') ?? 0) + (delta(counters, 'TcpExt.ListenDrops') ?? 0);
  if (d > 0) return 'active';
  const t = (total(counters, 'TcpExt.ListenOverflows') ?? 0) + (total(counters, 'TcpExt.ListenDrops') ?? 0);
  return t > 0 ? 'past' : null;
}

export type SynBasis = 'backlog' | 'somaxconn' | 'tcp_max_syn_backlog';

export interface SynState {
  pressured: boolean;
  limit: number | null;
  basis: SynBasis | null;
}

/**
 * Pending handshakes per listener (net/ipv4/tcp_input.c tcp_conn_request):
 * - inet_csk_reqsk_queue_is_full(): qlen > sk_max_ack_backlog (">=" before commit 3479c7549fb1,
 *   2025) -> cookies if tcp_syncookies != 0, else drop (TCPReqQFullDrop);
 * - with tcp_syncookies == 0 only, unproven peers are also dropped once
 *   max_syn_backlog - qlen < max_syn_backlog >> 2, i.e. in the last quarter of tcp_max_syn_backlog.
 * With cookies on, tcp_max_syn_backlog bounds nothing (man 2 listen), so it is not used then.
 */
export function synState(l: Listener, tunables: Tunables, options: RuleOptions): SynState {
  const candidates: Array<[number, SynBasis]> = [];
  const somaxconn = tunables['net.core.somaxconn'];
  if (l.backlog !== null) candidates.push([l.backlog, 'backlog']);
  else if (somaxconn !== null) candidates.push([somaxconn, 'somaxconn']);
  const maxSyn = tunables['net.ipv4.tcp_max_syn_backlog'];
  if (tunables['net.ipv4.tcp_syncookies'] === 0 && maxSyn !== null) {
    candidates.push([maxSyn - (maxSyn >> 2), 'tcp_max_syn_backlog']);
  }
  if (candidates.length === 0) return { pressured: false, limit: null, basis: null };
  const [limit, basis] = candidates.reduce((a, b) => (b[0] < a[0] ? b : a));
  const pressured = l.synRecv > 0 && l.synRecv >= options.synWarning * limit;
  return { pressured, limit, basis };
}

export interface SynCounterState {
  syncookiesSent: number | null;
  reqQFullDoCookies: number | null;
  reqQFullDrop: number | null;
  level: 'critical' | 'warning' | null;
}

/** syn-queue-pressure from counters: SYN queue overflowed during the window. */
export function synCounterState(counters: Counters, tunables: Tunables): SynCounterState {
  const syncookies = tunables['net.ipv4.tcp_syncookies'];
  const syncookiesSent = delta(counters, 'TcpExt.SyncookiesSent');
  const reqQFullDoCookies = delta(counters, 'TcpExt.TCPReqQFullDoCookies');
  const reqQFullDrop = delta(counters, 'TcpExt.TCPReqQFullDrop');
  // tcp_syncookies = 2 sends cookies for every SYN (tcp_conn_request): SyncookiesSent is then no sign of pressure.
  const sentCounts = syncookies === 2 ? 0 : syncookiesSent ?? 0;
  let level: SynCounterState['level'] = null;
  if ((reqQFullDrop ?? 0) > 0 && syncookies === 0) level = 'critical';
  else if (sentCounts > 0 || (reqQFullDoCookies ?? 0) > 0 || (reqQFullDrop ?? 0) > 0) level = 'warning';
  return { syncookiesSent, reqQFullDoCookies, reqQFullDrop, level };
}

/**
 * accept-wait-long: clients in the queue have waited at least options.acceptWaitMs; critical from
 * ACCEPT_WAIT_CRITICAL_FACTOR times that (10 s by default: where HTTP clients and load balancers
 * commonly give up). null when no wait is that long or the waits are unknown.
 */
export function acceptWaitLevel(l: Listener, options: RuleOptions): 'critical' | 'warning' | null {
  const w = l.acceptWait;
  if (!w || w.measured === 0 || w.maxMs < options.acceptWaitMs) return null;
  return w.maxMs >= ACCEPT_WAIT_CRITICAL_FACTOR * options.acceptWaitMs ? 'critical' : 'warning';
}

export const ACCEPT_WAIT_CRITICAL_FACTOR = 10;

/** close-wait-leak needs at least this many CLOSE_WAIT sockets held by one process. */
export const CLOSE_WAIT_LEAK_MIN = 10;

export function closeWaitCount(p: ProcessInfo): number {
  return p.sockets.CLOSE_WAIT ?? 0;
}


/** Percentage with one decimal, for evidence and titles; null when the base is unknown or 0. */
export function percent(part: number, whole: number | null): number | null {
  if (whole === null || whole <= 0) return null;
  return Math.round((part / whole) * 1000) / 10;
}
