/**
 * Reads a network namespace other than sockdoc's own: its TCP sockets with the listeners' backlog
 * limits, its net.* sysctls and its TcpExt/Tcp counters.
 *
 * - Live, with the privilege to enter it (CAP_SYS_ADMIN, man 2 setns): native/netns.c enters it on
 *   a thread of its own and makes the sock_diag dump and the sysctl reads from inside; /proc/sys/net
 *   follows the reader's namespace (net/sysctl_net.c net_ctl_header_lookup), so there is no other
 *   way to see a namespace's somaxconn.
 * - Live, without it: /proc/PID/net/tcp{,6}, netstat and snmp of one of its processes describe that
 *   process's namespace (fs/proc/proc_net.c get_proc_task_net) and need no privilege; the backlog
 *   limits (only in sock_diag) and the sysctls stay unknown, and the notes say so.
 * - A captured tree: ROOT/netns/INODE/ holds what capture read from inside (proc/net/*,
 *   proc/sys/net/*, sock_diag/tcp-listen.bin); without it, ROOT/proc/PID/net/* as above.
 *
 * Whichever way, a namespace whose sockstat counts no socket at all (probe/sockstat.ts
 * sockstatEmpty: none a program made, no TCP socket, none in TIME_WAIT) is `empty`: that file is all
 * that is read of it. Nothing in it can queue, drop, leak or wait on a connection now, so no sysctl,
 * counter or socket table of it is needed; a tenant's 2,000 empty namespaces cost one small read each.
 */
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { readCounters } from './netstat.js';
import { readProcNetTcp, DIAG_SOURCE } from './net-tcp.js';
import { tableFromDiag, TCP_ALL_STATES_MASK, withRecordedDiag, type WaitLookups } from './net-diag.js';
import { SocketTable, tcpStateNumber } from '../snapshot/socket-table.js';
import { ADDON_PATH, dumpFlags, loadNativeAddon, NETNS_SKIP_EMPTY, type NativeNetnsRead } from './native.js';
import { readCapturedWaits, readListenBacklogs } from './sock-diag.js';
import { NET_TUNABLE_NAMES, parseTunable, sysctlPath } from './sysctl.js';
import { parseNetstat } from './netstat.js';
import { describeError, readUnder, runProbe, under } from './read-file.js';
import { readPidNetns } from './netns.js';
import { readProcNetUnix, readUnixSockets, unixFromBytes, unixReadOf, UNIX_DIAG_SOURCE, type UnixRead } from './net-unix.js';
import { readSockstatEmpty } from './sockstat.js';
import type { ProbeReport, Tunables } from '../snapshot/types.js';

const LISTEN = tcpStateNumber('LISTEN');

/** A namespace to read: the processes in it and, for an `ip netns` one, its file. */
export interface NetnsTarget {
  inode: number;
  /** Processes in it, ascending (the first that answers is used). */
  pids: number[];
  /** ROOT/run/netns/NAME when it has one. */
  namedPath: string | null;
  /** How the notes name it ("netns blue", "docker container web"). */
  label: string;
}

/** net.* tunables of one namespace; null = unknown. */
export type NetTunables = Pick<Tunables, (typeof NET_TUNABLE_NAMES)[number]>;

export interface NetnsData {
  inode: number;
  /** Its TCP sockets as columns (snapshot/socket-table.ts). */
  table: SocketTable;
  /** listenerKey -> backlog limit; null when the limits are unknown. */
  backlogs: Map<string, number> | null;
  /** listenerKey -> IPV6_V6ONLY of IPv6 listeners (INET_DIAG_SKV6ONLY); null when not dumped. */
  v6only?: Map<string, boolean> | null;
  /** What of the accept waits was not measured (sock_diag read only); null otherwise. */
  waits?: WaitLookups | null;
  /** Read from outside, through a process's /proc/PID/net: its notes already say what that leaves unknown. */
  outside?: boolean;
  socketSource: 'sock_diag' | 'proc' | null;
  /** Its unix-domain sockets (unix_diag from inside, else /proc/PID/net/unix without queue lengths). */
  unix: UnixRead;
  tunables: NetTunables;
  /** Counter values at the end of the read; null when none could be read. */
  counters: Record<string, number> | null;
  reports: ProbeReport[];
  notes: string[];
  partial: boolean;
  /** Pids found in this namespace that named another one when it was entered (exited, pid reused): their discovery is stale. */
  stalePids?: number[];
  /** Its sockstat counted no socket: nothing else of it was read (tunables null, counters null, tables empty), and nothing is missing. */
  empty?: boolean;
  /**
   * At the end of a window whose first read was whole (snapshot/window-end.ts): false when its TCP
   * sockets are the first read's, proven unchanged since; true when they were walked again.
   */
  reread?: boolean;
  /** Its sockstat and sockstat6 (null: no IPv6) as read before its dump, when asked ('window-start'); null when unreadable. */
  sockstat?: { v4: string; v6: string | null } | null;
}

export const COUNTER_FILES = ['/proc/thread-self/net/netstat', '/proc/thread-self/net/snmp'];
export const SOCKSTAT_FILES = ['/proc/thread-self/net/sockstat', '/proc/thread-self/net/sockstat6'];
export const UNIX_FILE = 'sock_diag:unix';
/** The raw LISTEN dump (each listener's queue, backlog and drops) made inside (native/netns.c). */
export const LISTEN_FILE = 'sock_diag:tcp-listen';
export const SYSCTL_FILES = NET_TUNABLE_NAMES.map((n) => `/${sysctlPath(n)}`);
/** Files read from inside a namespace by the snapshot: its net.* sysctls, its counters, its unix_diag dump (native/netns.c). */
const INSIDE_FILES = [...SYSCTL_FILES, ...COUNTER_FILES, UNIX_FILE];

/**
 * What a read takes from inside each namespace: everything the snapshot uses ('all'); only the
 * counters (the start of a sampling window compares counters, CLOSE_WAIT and drops: no sysctl, no
 * unix socket); or, for a window whose first read is whole (snapshot/window-end.ts), 'window-start':
 * all but the unix sockets (read at the end), with the sockstat files, read before the dump as the
 * counters are (native/netns.c reads the files listed before the first "sock_diag:" one before it);
 * 'carryable': all, with those sockstat files (a read a later one may carry).
 */
export type InsideFiles = 'all' | 'counters' | 'window-start' | 'carryable';
const FILES_OF: Record<InsideFiles, string[]> = {
  all: INSIDE_FILES,
  counters: COUNTER_FILES,
  'window-start': [...SYSCTL_FILES, ...COUNTER_FILES, ...SOCKSTAT_FILES],
  // Everything 'all' reads, with the sockstat that lets a later read carry it (snapshot/window-end.ts).
  carryable: [...SYSCTL_FILES, ...COUNTER_FILES, ...SOCKSTAT_FILES, UNIX_FILE],
};

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));
export const errnoName = (n: number): string => ERRNO_NAMES.get(Math.abs(n)) ?? `errno ${Math.abs(n)}`;

function emptyTunables(): NetTunables {
  return Object.fromEntries(NET_TUNABLE_NAMES.map((n) => [n, null])) as unknown as NetTunables;
}

const UNKNOWN_WITHOUT_ENTERING =
  'the backlog limits of its listeners, their drops, how long clients wait in their queues, and its sysctls (net.core.somaxconn, tcp_max_syn_backlog, tcp_syncookies, tcp_abort_on_overflow, ip_local_port_range) are unknown';

/**
 * The counter values of a namespace from ROOT/proc/PID/net of the first of its processes that
 * answers; null when none does (or it has no process).
 */
export function readNetnsCounters(root: string, pids: readonly number[], inode?: number): Record<string, number> | null {
  for (const pid of pids.slice(0, 5)) {
    if (inode !== undefined && !inNetns(root, pid, inode)) continue;
    const r = readCounters(root, `proc/${pid}/net`);
    // Read between two checks: a pid reused by a process of another namespace meanwhile is not taken.
    if (r.reports.some((x) => x.status === 'ok') && (inode === undefined || inNetns(root, pid, inode))) return r.values;
  }
  return null;
}

/**
 * Is `pid` (still) in namespace `inode`? /proc/PID/net describes whatever process holds the pid
 * when it is read: one that exited and whose pid was reused describes another namespace. A read
 * between two true answers is of this namespace (a pid reused twice within one read aside).
 */
function inNetns(root: string, pid: number, inode: number): boolean {
  return readPidNetns(root, pid).inode === inode;
}

/** Sockets and counters from ROOT/proc/PID/net/* of one of its processes: no backlog limits, no sysctls. */
export function readNetnsFromPid(root: string, target: NetnsTarget, why: string): NetnsData {
  // From outside, the backlog limits and sysctls stay unknown: partial from the start.
  const data = { ...emptyNetnsData(target), partial: true, outside: true };
  for (const pid of target.pids.slice(0, 5)) {
    if (!inNetns(root, pid, target.inode)) continue; // exited, or its pid now names another namespace
    // Nothing in use there (its sockstat, read between two checks): nothing else to read.
    if (readSockstatEmpty(root, `proc/${pid}/net`) && inNetns(root, pid, target.inode)) return { ...emptyNamespace(target, 'proc'), outside: true };
    const read = readProcNetTcp(root, target.inode, `proc/${pid}/net`);
    if (read.reports[0].status !== 'ok' && read.reports[0].status !== 'partial') continue; // exited: try the next
    const counters = readCounters(root, `proc/${pid}/net`);
    const unix = readProcNetUnix(root, target.inode, `proc/${pid}/net`);
    if (!inNetns(root, pid, target.inode)) continue;
    data.table = read.table;
    data.reports.push(...read.reports);
    data.notes.push(...read.notes);
    data.socketSource = 'proc';
    data.unix = unix;
    data.reports.push(...counters.reports);
    if (counters.reports.some((r) => r.status === 'ok')) data.counters = counters.values;
    data.notes.push(`${target.label}: ${why}; its sockets were read from ${under(root, 'proc', String(pid), 'net', 'tcp')}, but ${UNKNOWN_WITHOUT_ENTERING}.`);
    return data;
  }
  data.notes.push(`${target.label}: ${why}, and none of its processes' /proc/PID/net could be read: its sockets, counters and sysctls are unknown.`);
  return data;
}

/** Parses the files native/netns.c read from inside (`asked`, in order) into tunables and counters; files not asked stay unknown. */
export function fromInside(files: ReadonlyArray<string | number | null>, asked: readonly string[], label: string, data: NetnsData): void {
  const got = new Map(asked.map((path, i) => [path, files[i]]));
  for (const name of NET_TUNABLE_NAMES) {
    const file = `/${sysctlPath(name)}`;
    if (!got.has(file)) continue;
    const text = got.get(file);
    const path = `${file} (inside ${label})`;
    if (typeof text !== 'string') {
      // netdev_max_backlog exists only in the initial namespace: absent here is expected.
      if (name !== 'net.core.netdev_max_backlog') data.reports.push({ probe: 'sysctl', source: path, status: text === -2 ? 'absent' : 'failed', ms: 0, detail: errnoName(Number(text)) });
      continue;
    }
    try {
      (data.tunables as unknown as Record<string, unknown>)[name] = parseTunable(name, text, path);
    } catch (err) {
      data.reports.push({ probe: 'sysctl', source: path, status: 'failed', ms: 0, detail: describeError(err) });
    }
  }
  const counters: Record<string, number> = {};
  let any = false;
  for (const file of COUNTER_FILES) {
    if (!got.has(file)) continue;
    const text = got.get(file);
    const path = `${file} (inside ${label})`;
    if (typeof text !== 'string') {
      data.reports.push({ probe: 'netstat', source: path, status: 'failed', ms: 0, detail: errnoName(Number(text)) });
      continue;
    }
    try {
      parseNetstat(text, path, counters);
      any = true;
    } catch (err) {
      data.reports.push({ probe: 'netstat', source: path, status: 'failed', ms: 0, detail: describeError(err) });
    }
  }
  data.counters = any ? counters : null;
}

/** A namespace of which nothing has been read yet: every field unknown, nothing reported. */
export function emptyNetnsData(target: NetnsTarget): NetnsData {
  const unix: UnixRead = unixReadOf([], null, []);
  return { inode: target.inode, table: SocketTable.empty(), backlogs: null, socketSource: null, unix, tunables: emptyTunables(), counters: null, reports: [], notes: [], partial: false };
}

/**
 * A namespace whose sockstat counted no socket: its TCP and unix tables are known to be empty (read
 * the way the others of its kind are), its sysctls and counters were not read (nothing to judge them
 * against), and nothing is partial.
 */
export function emptyNamespace(target: NetnsTarget, source: 'sock_diag' | 'proc'): NetnsData {
  return { ...emptyNetnsData(target), backlogs: new Map(), socketSource: source, unix: unixReadOf([], source === 'sock_diag' ? 'unix_diag' : 'proc', []), empty: true };
}

/** sockstat and sockstat6 as read inside (sockstat6 absent: no IPv6, null); null when either could not be read. */
export function sockstatOf(v4: string | number | null | undefined, v6: string | number | null | undefined): { v4: string; v6: string | null } | null {
  if (typeof v4 !== 'string') return null;
  if (typeof v6 === 'string') return { v4, v6 };
  return v6 === -2 ? { v4, v6: null } : null; // -ENOENT: no sockstat6, no IPv6
}

/** The unix-domain sockets from the dump made inside; if it failed, /proc/PID/net/unix of one of its processes. */
export function unixInside(target: NetnsTarget, dump: string | number | null | undefined): UnixRead {
  const source = `${UNIX_DIAG_SOURCE} inside ${target.label}`;
  const fallback = (why: string): UnixRead => {
    const pid = target.pids[0];
    const read = pid === undefined ? unixReadOf([], null, []) : readProcNetUnix('/', target.inode, `proc/${pid}/net`, why);
    read.reports.unshift({ probe: 'net-unix', source, status: 'failed', ms: 0, detail: why });
    return read;
  };
  if (typeof dump !== 'string') return fallback(dump === undefined || dump === null ? 'not read (older native module)' : errnoName(dump));
  return unixFromBytes(Buffer.from(dump, 'latin1'), source, target.inode, () => fallback('the dump did not parse'));
}

/** Turns one native read of the files `asked` into NetnsData, or { failed } when the namespace could not be entered. */
export function fromNativeRead(target: NetnsTarget, r: NativeNetnsRead, asked: readonly string[] = INSIDE_FILES): NetnsData | { failed: string } {
  if (r.errno !== 0 && r.table === null && (r.what === 'open' || r.what === 'setns' || r.what === 'fstat' || r.what === 'inode')) {
    return { failed: `${r.what} ${errnoName(r.errno)}` };
  }
  if (r.empty === true) return emptyNamespace(target, 'sock_diag');
  const data = emptyNetnsData(target);
  fromInside(r.files, asked, target.label, data);
  const unixAt = asked.indexOf(UNIX_FILE);
  if (unixAt >= 0) data.unix = unixInside(target, r.files[unixAt]);
  const sockstatAt = asked.indexOf(SOCKSTAT_FILES[0]);
  if (sockstatAt >= 0) data.sockstat = sockstatOf(r.files[sockstatAt], r.files[asked.indexOf(SOCKSTAT_FILES[1])]);
  if (r.table) {
    const { table, backlogs, v6only, waits } = tableFromDiag(r.table, `${DIAG_SOURCE} inside ${target.label}`, target.inode);
    data.table = table;
    data.backlogs = backlogs;
    data.v6only = v6only;
    data.waits = waits;
    data.socketSource = 'sock_diag';
    data.reports.push({ probe: 'net-tcp', source: `${DIAG_SOURCE} inside ${target.label}`, status: 'ok', ms: 0 });
  } else {
    data.reports.push({ probe: 'net-tcp', source: `${DIAG_SOURCE} inside ${target.label}`, status: 'failed', ms: 0, detail: `${r.what} ${errnoName(r.errno)}` });
  }
  if (data.reports.some((x) => x.status === 'failed')) {
    data.partial = true;
    data.notes.push(`${target.label}: ${data.reports.filter((x) => x.status === 'failed').map((x) => `${x.source}: ${x.detail}`).join('; ')}.`);
  }
  return data;
}

/** The files to enter a namespace by, in order: its processes' ns links (the first five), then its /run/netns name. */
function entryPaths(t: NetnsTarget): Array<{ path: string; pid: number | null }> {
  const out: Array<{ path: string; pid: number | null }> = t.pids.slice(0, 5).map((pid) => ({ path: under('/', 'proc', String(pid), 'ns', 'net'), pid }));
  if (t.namedPath) out.push({ path: t.namedPath, pid: null });
  return out;
}

/** Entry rounds at most: a process that exits, or whose pid is reused, is passed over for the next. */
const ENTRY_ROUNDS = 3;

/** Hooks for tests: `beforeEntry` runs between discovery and the first entry (the window strace widens). */
export interface NetnsReadHooks {
  beforeEntry?: () => Promise<void>;
}

/** What entering one namespace gave: the addon's read of its last attempt, and the paths that named another namespace. */
export interface NetnsEntry {
  read: NativeNetnsRead | null;
  reused: Array<{ path: string; pid: number | null; now: number }>;
}

/** The dump made inside each namespace: the TCP states (0: none, files only) and tcptable's flags (default: the waits looked up). */
export interface NetnsDump {
  states: number;
  flags?: number;
}

/**
 * Enters each namespace through the fd the addon opens and checks: its inode must be the one
 * discovered (native/netns.c), and `files` are read from inside. A path that now names another
 * namespace — the process exited and its pid was reused, an `ip netns` name re-pointed — is never
 * entered; the next process of the namespace (or its name) is tried, as after a process that
 * exited. Throws when the addon cannot do it (not built, or built before the check).
 */
export async function enterNetns(
  targets: readonly NetnsTarget[],
  files: string[],
  addonPath = ADDON_PATH,
  hooks: NetnsReadHooks = {},
  dump: NetnsDump = { states: TCP_ALL_STATES_MASK },
): Promise<NetnsEntry[]> {
  const addon = loadNativeAddon(addonPath);
  if (typeof addon.netnsReadAsync !== 'function') throw new Error('it is older than netnsReadAsync; rebuild it: npm run build');
  // Awaited only when there is one: the native read must start now, not after the caller's
  // synchronous work (capture reads the processes' fds meanwhile, a live snapshot walks them).
  if (hooks.beforeEntry) await hooks.beforeEntry();
  const out: NetnsEntry[] = targets.map(() => ({ read: null, reused: [] }));
  const tried = targets.map(() => 0);
  let todo = targets.map((_, i) => i).filter((i) => entryPaths(targets[i]).length > 0);
  for (let round = 0; round < ENTRY_ROUNDS && todo.length; round++) {
    const paths = todo.map((i) => entryPaths(targets[i])[tried[i]]);
    const inodes = todo.map((i) => targets[i].inode);
    const got = await (dump.flags === undefined
      ? addon.netnsReadAsync(paths.map((p) => p.path), dump.states, files, inodes)
      : addon.netnsReadAsync(paths.map((p) => p.path), dump.states, files, inodes, dump.flags));
    if (got.some((r) => typeof r.inode !== 'number')) throw new Error('it is older than the inode check; rebuild it: npm run build');
    const next: number[] = [];
    todo.forEach((i, k) => {
      const r = got[k];
      out[i].read = r;
      const gone = r.what === 'open' && (r.errno === 2 || r.errno === 3);
      if (r.what === 'inode') out[i].reused.push({ ...paths[k], now: r.inode ?? 0 });
      if ((gone || r.what === 'inode') && tried[i] + 1 < entryPaths(targets[i]).length) {
        tried[i]++;
        next.push(i);
      }
    });
    todo = next;
  }
  return out;
}

/**
 * Reads live namespaces from inside, in parallel, on the addon's own threads (enterNetns); any
 * that cannot be entered (not root, addon not built) is read from /proc/PID/net and marked partial;
 * one whose every entry path now names another namespace is skipped with a note, never read under
 * another's name. `statesMask` (1 << state, include/net/tcp_states.h) lets the kernel filter the
 * dump: the start of a window needs only the CLOSE_WAIT sockets and the listeners with their
 * drops (snapshot/window-read.ts); the /proc fallback reads them all. `flags` as tcpDiagTable's
 * (the start looks up no waits); `inside` which files (the start: the counters). A namespace whose
 * sockstat counts no socket is read no further (NETNS_SKIP_EMPTY): `empty` — unless `skipEmpty`
 * is false: namespaces a filter named (--netns, --container, --pod) are read whole, so what
 * stayed in them (drop counters of a server that exited, its sysctls) is seen when asked for.
 */
export async function readLiveNetns(
  targets: readonly NetnsTarget[],
  addonPath = ADDON_PATH,
  hooks: NetnsReadHooks = {},
  statesMask = TCP_ALL_STATES_MASK,
  flags = dumpFlags(),
  inside: InsideFiles = 'all',
  skipEmpty = true,
): Promise<NetnsData[]> {
  if (targets.length === 0) return [];
  let entries: NetnsEntry[] | null = null;
  let why = '';
  const asked = FILES_OF[inside];
  try {
    entries = await enterNetns(targets, asked, addonPath, hooks, { states: statesMask, flags: skipEmpty ? flags | NETNS_SKIP_EMPTY : flags });
  } catch (err) {
    why = `the native module is not available (${describeError(err).split('\n')[0]})`;
  }
  return targets.map((t, i) => {
    const e = entries?.[i];
    if (!e?.read) return readNetnsFromPid('/', t, `it could not be entered: ${why || 'it has no process left'}`);
    const stale = e.reused.flatMap((x) => (x.pid === null ? [] : [x.pid]));
    if (e.read.what === 'inode') return skippedAsReused(t, e.reused);
    const got = fromNativeRead(t, e.read, asked);
    let data: NetnsData;
    if (!('failed' in got)) data = got;
    else {
      const denied = /EPERM|EACCES/.test(got.failed);
      data = readNetnsFromPid('/', t, `it could not be entered (${got.failed}${denied ? ': entering a network namespace needs root (CAP_SYS_ADMIN)' : ''})`);
    }
    return stale.length ? { ...data, stalePids: stale } : data;
  });
}

/** A namespace every entry path of which now names another: nothing of it is read. */
export function skippedAsReused(t: NetnsTarget, reused: ReadonlyArray<{ path: string; pid: number | null; now: number }>): NetnsData {
  const first = reused[0];
  const what = first.pid !== null ? `pid ${first.pid} exited and its pid was reused by a process of another namespace` : `${first.path} was re-pointed`;
  return {
    ...emptyNetnsData(t),
    partial: true,
    stalePids: reused.flatMap((x) => (x.pid === null ? [] : [x.pid])),
    notes: [`${t.label}: skipped: ${first.path} named network namespace ${first.now || 'another'} when entered, not ${t.inode} (${what} since it was found); nothing of this namespace was read, so nothing of another is reported as its.`],
  };
}

/** Reads a namespace of a captured or fixture tree (see the module comment). */
export function readTreeNetns(root: string, target: NetnsTarget): NetnsData {
  const base = under(root, 'netns', String(target.inode));
  if (!existsSync(base)) return readNetnsFromPid(root, target, `the capture holds no ${base}`);
  // As live: a namespace whose captured sockstat counts no socket is read no further.
  if (readSockstatEmpty(base)) return emptyNamespace(target, 'proc');
  const data = emptyNetnsData(target);
  const net = readProcNetTcp(base, target.inode);
  data.table = net.table;
  data.reports.push(...net.reports);
  data.notes.push(...net.notes);
  data.socketSource = net.reports[0].status === 'ok' || net.reports[0].status === 'partial' ? 'proc' : null;
  const counters = readCounters(base);
  data.reports.push(...counters.reports);
  if (counters.reports.some((r) => r.status === 'ok')) data.counters = counters.values;
  data.unix = readUnixSockets(base, { netns: target.inode });
  for (const name of NET_TUNABLE_NAMES) {
    const path = under(base, sysctlPath(name));
    const { value, report } = runProbe('sysctl', path, () => parseTunable(name, readUnder(root, `netns/${target.inode}/${sysctlPath(name)}`, 'proc'), path));
    if (name === 'net.core.netdev_max_backlog' && report.status === 'absent') continue;
    data.reports.push(report);
    (data.tunables as unknown as Record<string, unknown>)[name] = value;
  }
  if (data.table.countState(LISTEN) > 0) {
    const b = readListenBacklogs(base);
    data.reports.push(b.report);
    if (b.source !== null) data.backlogs = b.backlogs;
    // What the capture recorded from sock_diag beside /proc: each listener's drops, each waiting connection's wait.
    const w = readCapturedWaits(base);
    if (w.report) data.reports.push(w.report);
    data.table = withRecordedDiag(data.table, b.drops ?? null, w.waits);
  }
  const bad = data.reports.filter((r) => r.status !== 'ok' && r.status !== 'absent');
  const missing = data.reports.filter((r) => r.status === 'absent');
  if (bad.length || missing.length) {
    data.partial = true;
    data.notes.push(`${target.label}: not captured or unreadable: ${[...bad, ...missing].map((r) => r.source).join(', ')}.`);
  }
  return data;
}
