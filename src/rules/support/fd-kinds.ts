/**
 * What a process's open fds are, and what that says: a leak or load. Shared by the fd findings
 * (fd-limit-exhausted, fd-limit-near, fd-exhaustion-forecast) and `sockdoc limits`.
 *
 * - Kinds a healthy program holds a handful of, whatever its load: epoll instances (one per event
 *   loop), eventfds, timerfds, signalfds, inotify instances, pidfds, io_uring instances, other anon
 *   inodes, netlink sockets, pipes. When they make up most of the fds, the program opens them and
 *   never closes them: a leak. A bigger limit only delays the next exhaustion.
 * - Sockets of live connections grow with load: mostly ESTABLISHED TCP (or unix) sockets is load,
 *   and a bigger limit is the cure. CLOSE_WAIT ones are connections the program never closed: a
 *   leak (close-wait-leak says so).
 * - Regular files can be either (a database holds a file per segment): a leak only when they grow.
 * Over a window (history) the kind that grew is named, and a growth that is most of one kind turns
 * "either" into a leak.
 */
import type { FdKindGrowth } from '../../history/history.js';
import { FD_KIND_WORDS } from '../../probe/fd-kinds.js';
import { FD_KINDS, type FdKind, type ProcessInfo } from '../../snapshot/types.js';
import { terminalSafe } from '../../safety/terminal.js';
import { shellCommand } from '../../safety/shell-quote.js';
import { asOwner } from './relief.js';

/** Kinds whose count does not grow with load in a healthy program. */
export const LEAK_KINDS: ReadonlySet<FdKind> = new Set<FdKind>(['eventpoll', 'eventfd', 'timerfd', 'signalfd', 'inotify', 'pidfd', 'io_uring', 'anon', 'netlink', 'pipe']);

/** A kind "dominates" when it (or the leak-prone kinds together) holds at least this share of the open fds. */
export const DOMINANT_SHARE = 0.5;
/**
 * One leak-prone kind is a leak by itself, whatever else dominates, at this many fds and this share
 * of the open ones: far past the handful a healthy program holds (one epoll per loop, a few pipes).
 */
export const LEAK_KIND_MIN = 32;
export const LEAK_KIND_SHARE = 0.25;
/** Below this many open fds the mix says nothing about leak or load (a quiet daemon holds a dozen of anything). */
export const MIN_FDS_FOR_VERDICT = 64;

export interface FdComposition {
  /** Kinds present, most first. */
  top: Array<{ kind: FdKind; count: number }>;
  /** The verdict: 'leak' (leak-prone kinds, CLOSE_WAIT or a growing kind dominate), 'load' (live connections dominate), 'unclear'. */
  verdict: 'leak' | 'load' | 'unclear';
  /** The kinds the verdict is about (one or two), most first. */
  culprits: FdKind[];
  /** The kind that grew most over the window, when history says so. */
  growing: { kind: FdKind; delta: number; spanMs: number } | null;
  /** One sentence: what the fds are and what that means. */
  sentence: string;
}

// Digits grouped by hand: toLocaleString builds an Intl formatter (ICU) per call.
const fmt = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** "4,088 eventpoll, 5 file, 3 device": the kinds present, most first, at most `max`. */
export function kindsText(p: Pick<ProcessInfo, 'fdKinds'>, max = 4): string {
  const top = sortedKinds(p);
  const shown = top.slice(0, max).map((k) => `${fmt(k.count)} ${k.kind}`);
  if (top.length > max) shown.push(`${fmt(top.slice(max).reduce((n, k) => n + k.count, 0))} other`);
  return shown.join(', ');
}

function sortedKinds(p: Pick<ProcessInfo, 'fdKinds'>): Array<{ kind: FdKind; count: number }> {
  const out: Array<{ kind: FdKind; count: number }> = [];
  for (const kind of FD_KINDS) {
    const count = p.fdKinds?.[kind] ?? 0;
    if (count > 0) out.push({ kind, count });
  }
  // Stable: equal counts keep FD_KINDS order.
  return out.sort((a, b) => b.count - a.count);
}

/** The kind that grew most, when it grew by at least 10 fds and made most of the growth. */
function growingKind(growth: FdKindGrowth | null | undefined): FdComposition['growing'] {
  if (!growth) return null;
  let best: FdKind | null = null;
  let up = 0;
  for (const [k, d] of Object.entries(growth.deltas) as Array<[FdKind, number]>) {
    if (d > 0) up += d;
    if (d > 0 && (best === null || d > (growth.deltas[best] ?? 0))) best = k;
  }
  const d = best ? (growth.deltas[best] ?? 0) : 0;
  return best && d >= 10 && d >= 0.5 * up ? { kind: best, delta: d, spanMs: growth.spanMs } : null;
}

/**
 * What the process's fds are and what that says. `growth` (from the history) names the kind that
 * grew; without it the verdict rests on the mix alone.
 */
export function fdComposition(p: Pick<ProcessInfo, 'fdKinds' | 'fds' | 'sockets'>, growth?: FdKindGrowth | null): FdComposition | null {
  if (!p.fdKinds) return null;
  const top = sortedKinds(p);
  const open = p.fds.open ?? top.reduce((n, k) => n + k.count, 0);
  if (open === 0 || top.length === 0) return null;
  const growing = growingKind(growth);
  if (open < MIN_FDS_FOR_VERDICT) return { top, verdict: 'unclear', culprits: [], growing, sentence: `Its ${fmt(open)} fds: ${kindsText(p)}.` };
  const share = (n: number) => n / open;
  const leakProne = top.filter((k) => LEAK_KINDS.has(k.kind));
  const leakTotal = leakProne.reduce((n, k) => n + k.count, 0);
  const tcp = p.fdKinds.tcp ?? 0;
  const closeWait = p.sockets.CLOSE_WAIT ?? 0;
  const established = p.sockets.ESTABLISHED ?? 0;
  const [first] = top;
  const of = (count: number, kind: FdKind) => `${fmt(count)} of ${fmt(open)} are ${FD_KIND_WORDS[kind]}`;
  const grew = growing ? ` (${growing.kind} +${fmt(growing.delta)} over the window)` : '';

  if (leakTotal >= DOMINANT_SHARE * open) {
    const culprits = leakProne.slice(0, leakProne.length > 1 && leakProne[1].count >= 0.25 * leakProne[0].count ? 2 : 1).map((k) => k.kind);
    const head = culprits.length === 2 ? `${fmt(leakProne[0].count)} ${leakProne[0].kind} + ${fmt(leakProne[1].count)} ${leakProne[1].kind} of ${fmt(open)}` : of(leakProne[0].count, leakProne[0].kind);
    return {
      top,
      verdict: 'leak',
      culprits,
      growing,
      sentence: `${head}${grew}: a leak, not load: a program needs a handful of these whatever its traffic, so it opens them and never closes them (${leakWhat(culprits[0])}).`,
    };
  }
  // Each kind judged by itself: a leak-prone kind far past a handful is a leak even when live
  // sockets are the larger part (91 pipes beside 101 connections: a mixed leak, not load).
  const leaking = leakProne.filter((k) => k.count >= LEAK_KIND_MIN && k.count >= LEAK_KIND_SHARE * open);
  if (leaking.length) {
    const culprits = leaking.slice(0, 2).map((k) => k.kind);
    const rest = top.filter((k) => !culprits.includes(k.kind)).slice(0, 2).map((k) => `${fmt(k.count)} ${k.kind}`).join(', ');
    return {
      top,
      verdict: 'leak',
      culprits,
      growing,
      sentence: `${leaking.slice(0, 2).map((k) => `${fmt(k.count)} ${k.kind}`).join(' + ')} of ${fmt(open)}${grew}, beside ${rest}: a mixed leak, not load: a program needs a handful of ${culprits.length > 1 ? 'those' : `${culprits[0]} fds`} whatever its traffic, so it opens them and never closes them (${leakWhat(culprits[0])}); the rest may be load.`,
    };
  }
  if (first.kind === 'tcp' && share(tcp) >= DOMINANT_SHARE) {
    if (closeWait >= 0.5 * tcp) {
      return { top, verdict: 'leak', culprits: ['tcp'], growing, sentence: `${of(tcp, 'tcp')}${grew}, ${fmt(closeWait)} of them in CLOSE_WAIT: connections the peers closed and the program never close()d: a leak of connections, not load.` };
    }
    if (growing && growing.kind === 'tcp' && closeWait > 0 && closeWait >= 0.5 * growing.delta) {
      return { top, verdict: 'leak', culprits: ['tcp'], growing, sentence: `${of(tcp, 'tcp')}${grew}, and CLOSE_WAIT grows with them: a leak of connections.` };
    }
    if (established >= 0.5 * tcp) {
      return { top, verdict: 'load', culprits: ['tcp'], growing, sentence: `${of(tcp, 'tcp')} (${fmt(established)} ESTABLISHED)${grew}: live connections, which grow with load: the limit is too small for the traffic, not a leak.` };
    }
    return { top, verdict: 'unclear', culprits: ['tcp'], growing, sentence: `${of(tcp, 'tcp')}${grew}, ${fmt(established)} of them ESTABLISHED: if their number keeps growing while the load does not, it leaks them.` };
  }
  if (first.kind === 'unix' && share(first.count) >= DOMINANT_SHARE) {
    return { top, verdict: growing?.kind === 'unix' ? 'unclear' : 'load', culprits: ['unix'], growing, sentence: `${of(first.count, 'unix')}${grew}: connections to or from local services, which grow with load${growing?.kind === 'unix' ? '; if they keep growing while the load does not, they leak' : ''}.` };
  }
  if (growing && growing.delta >= 0.5 * (p.fdKinds[growing.kind] ?? 0) && share(p.fdKinds[growing.kind] ?? 0) >= DOMINANT_SHARE) {
    return { top, verdict: 'leak', culprits: [growing.kind], growing, sentence: `${of(p.fdKinds[growing.kind] ?? 0, growing.kind)}, and they grew by ${fmt(growing.delta)} over the window: a leak (${leakWhat(growing.kind)}).` };
  }
  if (share(first.count) >= DOMINANT_SHARE) {
    return { top, verdict: 'unclear', culprits: [first.kind], growing, sentence: `${of(first.count, first.kind)}${grew}: ${first.kind === 'file' ? 'a program that keeps many files open (a database, a log shipper) may need them; if their number grows while the load does not, it leaks them' : 'if their number keeps growing while the load does not, it leaks them'}.` };
  }
  return { top, verdict: 'unclear', culprits: [], growing, sentence: `Its fds are mixed: ${kindsText(p)}${grew}.` };
}

/** What typically leaks a kind, in a few words. */
function leakWhat(kind: FdKind): string {
  switch (kind) {
    case 'eventpoll':
      return 'selectors or event loops created per request and never closed: Java NIO Selector.open(), Netty event loop groups, epoll_create()';
    case 'eventfd':
      return 'eventfds created and never closed: Java NIO selectors (each holds one), event loops';
    case 'pipe':
      return 'pipes never closed: child processes started and not waited for (popen, subprocess), or pipe() pairs left open';
    case 'inotify':
      return 'file watchers created and never closed (fs.watch, WatchService, fsnotify): they also count against fs.inotify.max_user_instances';
    case 'timerfd':
      return 'timers created and never closed';
    case 'netlink':
      return 'netlink sockets opened per request and never closed';
    case 'tcp':
      return 'connections never closed';
    case 'file':
      return 'files opened and never closed';
    default:
      return `${FD_KIND_WORDS[kind]} opened and never closed`;
  }
}

/** The grep that counts one kind in `ls -l /proc/PID/fd`. */
function grepFor(kind: FdKind): string | null {
  switch (kind) {
    case 'eventpoll':
    case 'eventfd':
    case 'timerfd':
    case 'signalfd':
    case 'pidfd':
    case 'io_uring':
      return `'anon_inode:\\[${kind}\\]'`;
    case 'inotify':
      return `'anon_inode:inotify'`;
    case 'pipe':
      return `'pipe:'`;
    case 'anon':
      return `'anon_inode:'`;
    default:
      return null;
  }
}

/**
 * The first fix lines for a leak: the command that shows it (and that it grows), a hint where in
 * the program it comes from, and what relief means for a leak.
 */
export function leakFixLines(p: Pick<ProcessInfo, 'pid' | 'name' | 'cmdline' | 'uid' | 'user'>, c: FdComposition): string[] {
  const kind = c.culprits[0];
  const lines: string[] = [];
  const grep = kind ? grepFor(kind) : null;
  if (grep) lines.push(`ls -l /proc/${p.pid}/fd | grep -c ${grep}   # the ${kind} fds; run it again in a minute: a count that only grows is the leak`);
  else if (kind === 'tcp') lines.push(`ss -tnp state close-wait | grep -c 'pid=${p.pid},'   # connections it never closed; again in a minute: growing = the leak`);
  else if (kind === 'file') lines.push(`ls -l /proc/${p.pid}/fd | awk '/ \\// {print $NF}' | sort | uniq -c | sort -rn | head   # which files are open many times`);
  lines.push(`ls -l /proc/${p.pid}/fd | awk '{print $NF}' | sed 's/[0-9]*]$/]/' | sort | uniq -c | sort -rn | head   # every kind of fd it holds, most first`);
  const java = p.name === 'java' || /(^|\/)java(\s|$)/.test(p.cmdline);
  if (java && (kind === 'eventpoll' || kind === 'eventfd' || kind === 'pipe')) {
    // The JVM's attach listener answers its own user (JDK 8 nothing else): jmap runs as the owner.
    const as = asOwner(p);
    lines.push(
      `${shellCommand([...as, 'jmap', '-histo', String(p.pid)])} | grep -E 'EPollSelectorImpl|SelectorProvider'   # one EPollSelectorImpl per open Selector: thousands = Selector.open() without close()${as.length ? ' (as its owner: the JVM answers attach requests of its own user)' : ''}`,
    );
  }
  if (kind === 'inotify') lines.push(`sockdoc explain inotify-instances-exhausted   # inotify instances also count against the uid's fs.inotify.max_user_instances`);
  lines.push(`# a bigger fd limit only delays the next exhaustion of a leak; restarting ${terminalSafe(p.name)} (pid ${p.pid}) frees every leaked fd until it leaks again: the cure is in the program`);
  return lines;
}
