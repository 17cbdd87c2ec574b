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
 */
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { readCounters } from './netstat.js';
import { readProcNetTcp, DIAG_SOURCE } from './net-tcp.js';
import { tableFromDiag, TCP_ALL_STATES_MASK } from './net-diag.js';
import { SocketTable, tcpStateNumber } from '../snapshot/socket-table.js';
import { ADDON_PATH, loadNativeAddon, type NativeNetnsRead } from './native.js';
import { readListenBacklogs } from './sock-diag.js';
import { NET_TUNABLE_NAMES, parseTunable, sysctlPath } from './sysctl.js';
import { parseNetstat } from './netstat.js';
import { describeError, readUnder, runProbe, under } from './read-file.js';
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
  socketSource: 'sock_diag' | 'proc' | null;
  tunables: NetTunables;
  /** Counter values at the end of the read; null when none could be read. */
  counters: Record<string, number> | null;
  reports: ProbeReport[];
  notes: string[];
  partial: boolean;
}

/** Files read from inside a namespace, in this order: its net.* sysctls, then its counters. */
const INSIDE_FILES = [...NET_TUNABLE_NAMES.map((n) => `/${sysctlPath(n)}`), '/proc/thread-self/net/netstat', '/proc/thread-self/net/snmp'];

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));
const errnoName = (n: number): string => ERRNO_NAMES.get(Math.abs(n)) ?? `errno ${Math.abs(n)}`;

function emptyTunables(): NetTunables {
  return Object.fromEntries(NET_TUNABLE_NAMES.map((n) => [n, null])) as unknown as NetTunables;
}

const UNKNOWN_WITHOUT_ENTERING =
  'the backlog limits of its listeners and its sysctls (net.core.somaxconn, tcp_max_syn_backlog, tcp_syncookies, tcp_abort_on_overflow, ip_local_port_range) are unknown';

/**
 * The counter values of a namespace from ROOT/proc/PID/net of the first of its processes that
 * answers; null when none does (or it has no process).
 */
export function readNetnsCounters(root: string, pids: readonly number[]): Record<string, number> | null {
  for (const pid of pids.slice(0, 5)) {
    const r = readCounters(root, `proc/${pid}/net`);
    if (r.reports.some((x) => x.status === 'ok')) return r.values;
  }
  return null;
}

/** Sockets and counters from ROOT/proc/PID/net/* of one of its processes: no backlog limits, no sysctls. */
export function readNetnsFromPid(root: string, target: NetnsTarget, why: string): NetnsData {
  // From outside, the backlog limits and sysctls stay unknown: partial from the start.
  const data = { ...emptyNetnsData(target), partial: true };
  for (const pid of target.pids.slice(0, 5)) {
    const read = readProcNetTcp(root, target.inode, `proc/${pid}/net`);
    if (read.reports[0].status !== 'ok' && read.reports[0].status !== 'partial') continue; // exited: try the next
    data.table = read.table;
    data.reports.push(...read.reports);
    data.notes.push(...read.notes);
    data.socketSource = 'proc';
    const counters = readCounters(root, `proc/${pid}/net`);
    data.reports.push(...counters.reports);
    if (counters.reports.some((r) => r.status === 'ok')) data.counters = counters.values;
    data.notes.push(`${target.label}: ${why}; its sockets were read from ${under(root, 'proc', String(pid), 'net', 'tcp')}, but ${UNKNOWN_WITHOUT_ENTERING}.`);
    return data;
  }
  data.notes.push(`${target.label}: ${why}, and none of its processes' /proc/PID/net could be read: its sockets, counters and sysctls are unknown.`);
  return data;
}

/** Parses the files native/netns.c read from inside into tunables and counters. */
function fromInside(files: ReadonlyArray<string | number>, label: string, data: NetnsData): void {
  NET_TUNABLE_NAMES.forEach((name, i) => {
    const text = files[i];
    const path = `${INSIDE_FILES[i]} (inside ${label})`;
    if (typeof text !== 'string') {
      // netdev_max_backlog exists only in the initial namespace: absent here is expected.
      if (name !== 'net.core.netdev_max_backlog') data.reports.push({ probe: 'sysctl', source: path, status: text === -2 ? 'absent' : 'failed', ms: 0, detail: errnoName(text) });
      return;
    }
    try {
      (data.tunables as unknown as Record<string, unknown>)[name] = parseTunable(name, text, path);
    } catch (err) {
      data.reports.push({ probe: 'sysctl', source: path, status: 'failed', ms: 0, detail: describeError(err) });
    }
  });
  const counters: Record<string, number> = {};
  let any = false;
  for (const i of [INSIDE_FILES.length - 2, INSIDE_FILES.length - 1]) {
    const text = files[i];
    const path = `${INSIDE_FILES[i]} (inside ${label})`;
    if (typeof text !== 'string') {
      data.reports.push({ probe: 'netstat', source: path, status: 'failed', ms: 0, detail: errnoName(text) });
      continue;
    }
    try {
      Object.assign(counters, parseNetstat(text, path));
      any = true;
    } catch (err) {
      data.reports.push({ probe: 'netstat', source: path, status: 'failed', ms: 0, detail: describeError(err) });
    }
  }
  data.counters = any ? counters : null;
}

/** A namespace of which nothing has been read yet: every field unknown, nothing reported. */
function emptyNetnsData(target: NetnsTarget): NetnsData {
  return { inode: target.inode, table: SocketTable.empty(), backlogs: null, socketSource: null, tunables: emptyTunables(), counters: null, reports: [], notes: [], partial: false };
}

/** Turns one native read into NetnsData, or null when the namespace could not be entered. */
export function fromNativeRead(target: NetnsTarget, r: NativeNetnsRead): NetnsData | { failed: string } {
  if (r.errno !== 0 && r.table === null && (r.what === 'open' || r.what === 'setns')) {
    return { failed: `${r.what} ${errnoName(r.errno)}` };
  }
  const data = emptyNetnsData(target);
  fromInside(r.files, target.label, data);
  if (r.table) {
    const { table, backlogs, v6only } = tableFromDiag(r.table, `${DIAG_SOURCE} inside ${target.label}`, target.inode);
    data.table = table;
    data.backlogs = backlogs;
    data.v6only = v6only;
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

/** The file to enter a namespace by: a process's ns link, else its /run/netns name. */
function enterPath(root: string, t: NetnsTarget): string {
  return t.pids.length ? under(root, 'proc', String(t.pids[0]), 'ns', 'net') : (t.namedPath as string);
}

/**
 * Reads live namespaces from inside, in parallel, on the addon's own threads; any that cannot be
 * entered (not root, addon not built) is read from /proc/PID/net and marked partial.
 */
export async function readLiveNetns(targets: readonly NetnsTarget[], addonPath = ADDON_PATH): Promise<NetnsData[]> {
  if (targets.length === 0) return [];
  let raw: NativeNetnsRead[] | null = null;
  let why = '';
  try {
    const addon = loadNativeAddon(addonPath);
    if (typeof addon.netnsReadAsync !== 'function') why = 'the native module is older than netnsReadAsync (rebuild it: npm run build)';
    else {
      raw = await addon.netnsReadAsync(targets.map((t) => enterPath('/', t)), TCP_ALL_STATES_MASK, INSIDE_FILES);
      // The process we entered by exited since discovery (its ns link is gone): once more by another
      // of its processes, or by its /run/netns name.
      const retry = targets.flatMap((t, i) => {
        const r = (raw as NativeNetnsRead[])[i];
        const gone = r.what === 'open' && (r.errno === 2 || r.errno === 3);
        const next = t.pids.length > 1 ? { ...t, pids: t.pids.slice(1) } : t.pids.length === 1 && t.namedPath ? { ...t, pids: [] } : null;
        return gone && next ? [{ i, path: enterPath('/', next) }] : [];
      });
      if (retry.length) {
        const again = await addon.netnsReadAsync(retry.map((r) => r.path), TCP_ALL_STATES_MASK, INSIDE_FILES);
        retry.forEach((r, k) => ((raw as NativeNetnsRead[])[r.i] = again[k]));
      }
    }
  } catch (err) {
    why = `the native module is not available (${describeError(err).split('\n')[0]})`;
  }
  return targets.map((t, i) => {
    if (!raw) return readNetnsFromPid('/', t, `it could not be entered: ${why}`);
    const got = fromNativeRead(t, raw[i]);
    if (!('failed' in got)) return got;
    const denied = /EPERM|EACCES/.test(got.failed);
    return readNetnsFromPid('/', t, `it could not be entered (${got.failed}${denied ? ': entering a network namespace needs root (CAP_SYS_ADMIN)' : ''})`);
  });
}

/** Reads a namespace of a captured or fixture tree (see the module comment). */
export function readTreeNetns(root: string, target: NetnsTarget): NetnsData {
  const base = under(root, 'netns', String(target.inode));
  if (!existsSync(base)) return readNetnsFromPid(root, target, `the capture holds no ${base}`);
  const data = emptyNetnsData(target);
  const net = readProcNetTcp(base, target.inode);
  data.table = net.table;
  data.reports.push(...net.reports);
  data.notes.push(...net.notes);
  data.socketSource = net.reports[0].status === 'ok' || net.reports[0].status === 'partial' ? 'proc' : null;
  const counters = readCounters(base);
  data.reports.push(...counters.reports);
  if (counters.reports.some((r) => r.status === 'ok')) data.counters = counters.values;
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
  }
  const bad = data.reports.filter((r) => r.status !== 'ok' && r.status !== 'absent');
  const missing = data.reports.filter((r) => r.status === 'absent');
  if (bad.length || missing.length) {
    data.partial = true;
    data.notes.push(`${target.label}: not captured or unreadable: ${[...bad, ...missing].map((r) => r.source).join(', ')}.`);
  }
  return data;
}
