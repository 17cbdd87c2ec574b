/**
 * /proc/net/tcp and /proc/net/tcp6: every TCP socket of the reader's network namespace.
 *
 * Lines come from `get_tcp4_sock`, `get_openreq4` and `get_timewait4_sock` (net/ipv4/tcp_ipv4.c;
 * tcp6 likewise in net/ipv6/tcp_ipv6.c), all with the same leading format:
 *   "%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu ..."
 *    sl   local     remote    st  tx    rx    tr tm->when retr uid  timeout inode
 * Hosts carry 100k+ sockets, so lines are read with fixed column offsets from the "sl:" field and
 * charCode arithmetic instead of regex or split.
 */
import { hexAt, procAddressReader } from './inet-address.js';
import { tableFromDiag, TCP_ALL_STATES_MASK, type WaitLookups } from './net-diag.js';
import { ADDON_PATH, dumpFlags, loadNativeAddon } from './native.js';
import { describeError, ParseError, readUnder, runProbe, under } from './read-file.js';
import { TCP_STATES, type ProbeReport, type TcpSocket } from '../snapshot/types.js';
import { SocketTable } from '../snapshot/socket-table.js';

const SPACE = 32;
const COLON = 58;

/** Column offsets after "sl: " for an address field of `a` hex digits (8 for v4, 32 for v6). */
function columns(a: number) {
  return {
    localPortColon: a,
    sp1: a + 5,
    remote: a + 6,
    remotePortColon: 2 * a + 6,
    sp2: 2 * a + 11,
    state: 2 * a + 12,
    sp3: 2 * a + 14,
    tx: 2 * a + 15,
    queueColon: 2 * a + 23,
    rx: 2 * a + 24,
    sp4: 2 * a + 32,
    rest: 2 * a + 33,
  };
}

/**
 * Decimal digits of `text` in [start, end); -1 when empty, not a digit, or above 2^32 - 1: the uid
 * (from_kuid_munged, a uid_t) and the socket inode (get_next_ino(), an unsigned int) cannot be larger.
 */
function decimal(text: string, start: number, end: number): number {
  if (end <= start || end - start > 10) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v <= 0xffffffff ? v : -1;
}

/**
 * Parses the text of /proc/net/tcp (family 4) or /proc/net/tcp6 (family 6).
 * Throws ParseError naming `file` and the 1-based line for anything the kernel would not print.
 * @example parseNetTcp(readText('/proc/net/tcp'), 4)[0].localAddress // "127.0.0.1"
 */
export function parseNetTcp(
  text: string,
  family: 4 | 6,
  file = family === 4 ? 'proc/net/tcp' : 'proc/net/tcp6',
  /** When given, a malformed line is reported here and skipped instead of failing the whole file. */
  onBadLine?: (err: ParseError) => void,
  /** The network namespace the file describes (stamped on every socket). */
  netns = 0,
): TcpSocket[] {
  const headerEnd = text.indexOf('\n');
  if (!/^\s*sl\s+local_address/.test(text.slice(0, headerEnd < 0 ? text.length : headerEnd))) {
    throw new ParseError(file, 1, 'missing header "sl local_address ..."');
  }
  const addrLen = family === 4 ? 8 : 32;
  const formatAddr = procAddressReader(family);
  const c = columns(addrLen);
  const out: TcpSocket[] = [];
  let lineNo = 1;
  const fail = (reason: string): never => {
    throw new ParseError(file, lineNo, reason);
  };
  for (let start = headerEnd < 0 ? text.length : headerEnd + 1; start < text.length; ) {
    lineNo++;
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    try {
      // "%4d: " -> base is the first column of the local address.
      let p = start;
      while (p < end && text.charCodeAt(p) === SPACE) p++;
      const slStart = p;
      while (p < end && text.charCodeAt(p) !== COLON) p++;
      if (p === end || decimal(text, slStart, p) < 0 || text.charCodeAt(p + 1) !== SPACE) {
        if (p === end && slStart === end) fail('empty line');
        fail('expected "<sl>: " at the start of the line');
      }
      const b = p + 2;
      if (end < b + c.rest) fail(`line truncated (${end - start} characters)`);
      if (
        text.charCodeAt(b + c.localPortColon) !== COLON ||
        text.charCodeAt(b + c.sp1) !== SPACE ||
        text.charCodeAt(b + c.remotePortColon) !== COLON ||
        text.charCodeAt(b + c.sp2) !== SPACE ||
        text.charCodeAt(b + c.sp3) !== SPACE ||
        text.charCodeAt(b + c.queueColon) !== COLON ||
        text.charCodeAt(b + c.sp4) !== SPACE
      ) {
        fail(`columns not where tcp${family === 6 ? '6' : ''}_seq_show puts them`);
      }
      const localAddress = formatAddr(text, b);
      const remoteAddress = formatAddr(text, b + c.remote);
      if (localAddress === null || remoteAddress === null) fail('bad hex in address');
      const localPort = hexAt(text, b + c.localPortColon + 1, 4);
      const remotePort = hexAt(text, b + c.remotePortColon + 1, 4);
      if (localPort < 0 || remotePort < 0) fail('bad hex in port');
      const st = hexAt(text, b + c.state, 2);
      if (st < 1 || st > TCP_STATES.length) fail('unknown state');
      const txQueue = hexAt(text, b + c.tx, 8);
      const rxQueue = hexAt(text, b + c.rx, 8);
      if (txQueue < 0 || rxQueue < 0) fail('bad hex in tx_queue:rx_queue');
      // Variable-width fields follow: tr:tm->when, retrnsmt, uid (%5u), timeout (%8d), inode (%lu).
      let q = b + c.rest;
      let uid = -1;
      let inode = -1;
      for (let field = 0; field < 5; field++) {
        while (q < end && text.charCodeAt(q) === SPACE) q++;
        const fs = q;
        while (q < end && text.charCodeAt(q) !== SPACE) q++;
        if (fs === q) fail('line truncated before the inode column');
        if (field === 2) uid = decimal(text, fs, q);
        else if (field === 4) inode = decimal(text, fs, q);
      }
      // Every variant prints more after the inode (refcnt, pointer): a line ending here was cut.
      if (q >= end) fail('line truncated after the inode column');
      if (uid < 0) fail('uid is not a 32-bit decimal number');
      if (inode < 0) fail('inode is not a 32-bit decimal number');
      out.push({
        family,
        state: TCP_STATES[st - 1],
        localAddress: localAddress as string,
        localPort,
        remoteAddress: remoteAddress as string,
        remotePort,
        txQueue,
        rxQueue,
        uid,
        inode,
        netns,
      });
    } catch (err) {
      if (!onBadLine || !(err instanceof ParseError)) throw err;
      onBadLine(err);
    }
    start = end + 1;
  }
  return out;
}

/** Where the sockets of a read came from. */
export type NetTcpSource = 'sock_diag' | 'proc';

export interface NetTcpRead {
  /** The sockets as columns (snapshot/socket-table.ts); `table.toArray()` for objects. */
  table: SocketTable;
  reports: ProbeReport[];
  /** Sentences for the report (malformed lines skipped). */
  notes: string[];
  source: NetTcpSource;
  /** From the sock_diag dump only: listenerKey -> backlog limit, what readListenBacklogs would return. */
  backlogs?: Map<string, number>;
  /** From the sock_diag dump only: listenerKey -> IPV6_V6ONLY of IPv6 listeners. */
  v6only?: Map<string, boolean>;
  /** From the sock_diag dump only: what of the accept waits was not measured. */
  waits?: WaitLookups | null;
}

export interface NetTcpOptions {
  /**
   * 'proc' forces /proc/net/tcp{,6}; 'sock_diag' asks for the netlink dump (live root only).
   * Default: the environment variable SOCKDOC_NET_SOURCE, else the dump when the addon has it.
   */
  source?: NetTcpSource;
  addonPath?: string;
  /** The namespace being read, stamped on every socket (default 0: not known). */
  netns?: number;
}

export const DIAG_SOURCE = 'netlink NETLINK_SOCK_DIAG (TCP, all states)';

/**
 * Every TCP socket of the reader's network namespace. For the live root "/" it uses one sock_diag
 * dump of all states through the native addon (src/probe/net-diag.ts: same sockets, same fields),
 * unless SOCKDOC_NET_SOURCE=proc or the addon lacks it; any other root, or a failed dump, reads
 * ROOT/proc/net/tcp and tcp6.
 */
export function readNetTcp(root = '/', opts: NetTcpOptions = {}): NetTcpRead {
  const wanted = opts.source ?? (process.env.SOCKDOC_NET_SOURCE === 'proc' ? 'proc' : 'sock_diag');
  let why: string | undefined;
  if (root === '/' && wanted === 'sock_diag') {
    const t0 = performance.now();
    try {
      const addon = loadNativeAddon(opts.addonPath ?? ADDON_PATH);
      if (typeof addon.tcpDiagTable === 'function') {
        const table = addon.tcpDiagTable(TCP_ALL_STATES_MASK, dumpFlags());
        const { table: sockets, backlogs, v6only, waits } = tableFromDiag(table, DIAG_SOURCE, opts.netns ?? 0);
        const reports: ProbeReport[] = [{ probe: 'net-tcp', source: DIAG_SOURCE, status: 'ok', ms: performance.now() - t0 }];
        if (!table.ipv6) {
          reports.push({ probe: 'net-tcp', source: `${DIAG_SOURCE} AF_INET6`, status: 'absent', ms: 0, detail: 'IPv6 is disabled on this host, so there are no IPv6 sockets to see' });
        }
        return { table: sockets, reports, notes: [], source: 'sock_diag', backlogs, v6only, waits };
      }
    } catch (err) {
      // Not built, built for another ABI, or the dump failed: /proc/net/tcp has the same sockets.
      why = `sock_diag dump unavailable (${describeError(err).split('\n')[0]}); read /proc/net/tcp instead`;
    }
  }
  const read = readProcNetTcp(root, opts.netns ?? 0);
  if (why) read.reports[0].detail = read.reports[0].detail ? `${read.reports[0].detail}; ${why}` : why;
  return read;
}

/**
 * Reads ROOT/proc/net/tcp and ROOT/proc/net/tcp6 (or ROOT/NETDIR/...: "proc/PID/net" is the
 * namespace of process PID, readable without entering it). A missing tcp6 means IPv6 is disabled
 * (ipv6.disable=1 or no ipv6 module): reported as absent, not as an error.
 */
export function readProcNetTcp(root = '/', netns = 0, netDir = 'proc/net'): NetTcpRead {
  const sockets: TcpSocket[] = [];
  const reports: ProbeReport[] = [];
  const notes: string[] = [];
  for (const family of [4, 6] as const) {
    const relPath = `${netDir}/${family === 4 ? 'tcp' : 'tcp6'}`;
    const path = under(root, relPath);
    const bad: ParseError[] = [];
    const { value, report } = runProbe('net-tcp', path, () => parseNetTcp(readUnder(root, relPath, 'proc-table'), family, path, (e) => bad.push(e), netns));
    if (bad.length) {
      // Keep the good lines (a capture cut short, a corrupted copy): partial, and said once.
      report.status = 'partial';
      report.detail = `${bad.length} malformed line${bad.length === 1 ? '' : 's'} skipped (first: line ${bad[0].line}, ${bad[0].reason})`;
      notes.push(`${path}: ${report.detail}; those sockets are missing from this report.`);
    }
    if (report.status === 'absent') {
      report.detail =
        family === 6
          ? `${path} is missing: IPv6 is disabled on this host, so there are no IPv6 sockets to see`
          : `${path} is missing: no procfs at this root, so no IPv4 sockets could be seen`;
    }
    reports.push(report);
    // push one by one: spreading 100k+ elements as call arguments can exceed the stack
    if (value) for (const s of value) sockets.push(s);
  }
  return { table: SocketTable.fromSockets(sockets), reports, notes, source: 'proc' };
}
