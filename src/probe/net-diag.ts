/**
 * Every TCP socket from one sock_diag dump of all states (native/tcptable.c), turned into the same
 * TcpSocket[] that parseNetTcp makes of /proc/net/tcp{,6}. On a live host this skips the kernel's
 * per-socket sprintf and the JavaScript parse of that text, and gives the backlog limits of the
 * listeners from the same dump.
 *
 * How sock_diag fields map onto /proc/net/tcp (net/ipv4/tcp_ipv4.c vs net/ipv4/inet_diag.c,
 * net/ipv4/tcp_diag.c):
 * - LISTEN: /proc prints rx_queue = sk_ack_backlog and tx_queue 0 (write_seq - snd_una of a
 *   listener); tcp_diag_get_info puts sk_ack_backlog in idiag_rqueue and the limit
 *   sk_max_ack_backlog in idiag_wqueue, which goes to the backlog map instead of txQueue.
 * - Other full sockets: both print max(rcv_nxt - copied_seq, 0) and write_seq - snd_una.
 * - Request sockets (TCP_NEW_SYN_RECV, bit 12 of the mask): inet_req_diag_fill reports them as
 *   SYN_RECV with queues 0 and inode 0, as get_openreq4 prints them; but its uid is 0, while
 *   get_openreq4 prints the listener's uid: taken here from the listener they belong to.
 * - TIME_WAIT (and FIN_WAIT2 in a timewait socket): inet_twsk_diag_fill reports tw_substate with
 *   queues, uid and inode 0, as get_timewait4_sock prints them.
 * - An AF_INET6 socket keeps family 6 with its v4-mapped addresses, as in /proc/net/tcp6.
 * What /proc cannot show, the table carries in two more columns: each listener's drops (its
 * INET_DIAG_SKMEMINFO) and how long each connection waiting in an accept queue has waited (the
 * tcp_info the addon looked up for it: native/childinfo.c).
 */
import { formatIPv4Bytes, formatIPv6Bytes } from './inet-address.js';
import { waitFromTcpInfo } from './inet-diag.js';
import { connectionKey, listenerKey } from './sock-diag.js';
import type { NativeTcpTable } from './native.js';
import { ParseError } from './read-file.js';
import { TCP_STATES, type TcpSocket } from '../snapshot/types.js';
import { allocColumns, emptyColumn, SocketTable, type SocketColumns } from '../snapshot/socket-table.js';

/**
 * States 1..11 (include/net/tcp_states.h) plus TCP_NEW_SYN_RECV (12), so that request sockets are
 * listed as /proc and ss list them. Not TCP_BOUND_INACTIVE (13): bound-only sockets are a
 * sock_diag-only pseudo-state that /proc/net/tcp never shows.
 */
export const TCP_ALL_STATES_MASK = 0x1ffe;
/** Words per socket in NativeTcpTable.rows (native/tcptable.c ROW_WORDS). */
export const ROW_WORDS = 8;

const LISTEN = TCP_STATES.indexOf('LISTEN') + 1;
const SYN_RECV = TCP_STATES.indexOf('SYN_RECV') + 1;

export interface DiagSockets {
  sockets: TcpSocket[];
  /** listenerKey(...) -> sk_max_ack_backlog, as readListenBacklogs returns it. */
  backlogs: Map<string, number>;
  /** listenerKey(...) -> IPV6_V6ONLY of IPv6 listeners whose dump carried INET_DIAG_SKV6ONLY. */
  v6only: Map<string, boolean>;
}

/** Row word 0 flags (native/tcptable.c): INET_DIAG_SKV6ONLY was sent, and its value. */
const V6ONLY_KNOWN = 1 << 16;
const V6ONLY_SET = 1 << 17;

/**
 * The uid of each request socket (SYN_RECV, inode 0) set to its listener's: the same family and
 * port, its own address or the wildcard of its family.
 */
function copyListenerUids(c: SocketColumns): void {
  const uids = new Map<string, number>();
  for (let i = 0; i < c.count; i++) {
    if (c.state[i] !== LISTEN) continue;
    const key = `${c.family[i]}|${c.addresses[c.localAddress[i]]}|${c.localPort[i]}`;
    if (!uids.has(key)) uids.set(key, c.uid[i]);
  }
  for (let i = 0; i < c.count; i++) {
    if (c.state[i] !== SYN_RECV || c.inode[i] !== 0) continue;
    const f = c.family[i];
    const uid = uids.get(`${f}|${c.addresses[c.localAddress[i]]}|${c.localPort[i]}`) ?? uids.get(`${f}|${f === 4 ? '0.0.0.0' : '::'}|${c.localPort[i]}`);
    if (uid !== undefined) c.uid[i] = uid;
  }
}

export interface DiagTable {
  table: SocketTable;
  /** listenerKey(...) -> sk_max_ack_backlog, as readListenBacklogs returns it. */
  backlogs: Map<string, number>;
  /** listenerKey(...) -> IPV6_V6ONLY of IPv6 listeners whose dump carried INET_DIAG_SKV6ONLY. */
  v6only: Map<string, boolean>;
  /** What was not measured of the accept waits, for a note; null when the addon does not measure them. */
  waits: WaitLookups | null;
}

/** The addon's account of its accept-wait lookups (NativeTcpTable.acceptWaits*). */
export interface WaitLookups {
  measured: number;
  /** Not looked up: over the addon's bound per namespace (an even sample of the rest was). */
  skipped: number;
  /** Gone or changed between the dump and their lookup. */
  gone: number;
  /** Why the lookups stopped early, or null. */
  error: string | null;
}

/** Words per answer in NativeTcpTable.acceptWaits (native/childinfo.h CHILDINFO_WORDS). */
export const WAIT_WORDS = 4;

/** The drops and waits columns of a native table; null columns when the addon predates them. */
function extraColumns(table: NativeTcpTable, c: SocketColumns, file: string): void {
  const { count, listenerDrops, acceptWaits } = table;
  if (listenerDrops) {
    c.drops = emptyColumn(count);
    for (let k = 0; k + 1 < listenerDrops.length; k += 2) {
      const row = listenerDrops[k];
      if (row >= count || c.state[row] !== LISTEN) throw new ParseError(file, row + 1, 'listener drops for a row that is not a listener');
      c.drops[row] = listenerDrops[k + 1];
    }
  }
  if (acceptWaits) {
    c.waitedMs = emptyColumn(count);
    for (let k = 0; k + WAIT_WORDS - 1 < acceptWaits.length; k += WAIT_WORDS) {
      const row = acceptWaits[k];
      if (row >= count) throw new ParseError(file, row + 1, 'accept wait for a row beyond the table');
      c.waitedMs[row] = Math.min(waitFromTcpInfo(acceptWaits[k + 1], acceptWaits[k + 2], acceptWaits[k + 3]), 0xfffffffe);
    }
  }
}

/**
 * The native table as columns (no object per socket). Throws ParseError for a state the kernel
 * should not send (`file` names the source in the message).
 */
export function tableFromDiag(table: NativeTcpTable, file = 'sock_diag', netns = 0): DiagTable {
  const { rows, addrs, addrFamilies, count } = table;
  if (rows.length < count * ROW_WORDS) throw new ParseError(file, 1, `table of ${rows.length} words for ${count} sockets`);
  // Each distinct address is formatted once: most sockets share a few local addresses.
  const names = new Array<string>(addrFamilies.length);
  for (let i = 0; i < names.length; i++) {
    names[i] = addrFamilies[i] === 4 ? formatIPv4Bytes(addrs, i * 16) : formatIPv6Bytes(addrs, i * 16);
  }
  const c = allocColumns(count, names);
  const backlogs = new Map<string, number>();
  const v6only = new Map<string, boolean>();
  let requests = false;
  c.netns.fill(netns);
  for (let i = 0, r = 0; i < count; i++, r += ROW_WORDS) {
    const head = rows[r];
    const st = (head >>> 8) & 0xff;
    if (st < 1 || st > TCP_STATES.length) throw new ParseError(file, i + 1, `unknown TCP state ${st}`);
    const family = (head & 0xff) === 4 ? 4 : 6;
    const ports = rows[r + 1];
    const listen = st === LISTEN;
    c.family[i] = family;
    c.state[i] = st;
    c.localPort[i] = ports >>> 16;
    c.remotePort[i] = ports & 0xffff;
    c.localAddress[i] = rows[r + 2];
    c.remoteAddress[i] = rows[r + 3];
    c.rxQueue[i] = rows[r + 4];
    c.txQueue[i] = listen ? 0 : rows[r + 5];
    c.uid[i] = rows[r + 6];
    c.inode[i] = rows[r + 7];
    if (rows[r + 2] >= names.length || rows[r + 3] >= names.length) throw new ParseError(file, i + 1, `address index beyond the ${names.length} addresses`);
    if (listen) {
      const key = listenerKey(family, names[rows[r + 2]], ports >>> 16, rows[r + 7]);
      backlogs.set(key, rows[r + 5]);
      if (head & V6ONLY_KNOWN) v6only.set(key, (head & V6ONLY_SET) !== 0);
    } else if (st === SYN_RECV && rows[r + 7] === 0) requests = true;
  }
  if (requests) copyListenerUids(c);
  extraColumns(table, c, file);
  const waits: WaitLookups | null = table.acceptWaits
    ? { measured: table.acceptWaits.length / WAIT_WORDS, skipped: table.acceptWaitsSkipped ?? 0, gone: table.acceptWaitsGone ?? 0, error: table.acceptWaitsError ?? null }
    : null;
  return { table: new SocketTable(c), backlogs, v6only, waits };
}

/** tableFromDiag as TcpSocket[] (one object per socket). */
export function socketsFromDiagTable(table: NativeTcpTable, file = 'sock_diag', netns = 0): DiagSockets {
  const { table: t, backlogs, v6only } = tableFromDiag(table, file, netns);
  return { sockets: t.toArray(), backlogs, v6only };
}

/**
 * A table read from /proc/net/tcp text (a capture) with the drops and waits the capture recorded
 * beside it from sock_diag: listeners matched by listenerKey, waiting connections by their
 * addresses and ports. A map that is null leaves its column null (unknown).
 */
export function withRecordedDiag(table: SocketTable, drops: ReadonlyMap<string, number> | null, waits: ReadonlyMap<string, number> | null): SocketTable {
  if (!drops && !waits) return table;
  const t = table;
  const dropsCol = drops ? emptyColumn(t.length) : null;
  const waitsCol = waits ? emptyColumn(t.length) : null;
  for (let i = 0; i < t.length; i++) {
    const family = t.family[i] === 4 ? 4 : 6;
    const local = t.addresses[t.localAddress[i]];
    if (t.state[i] === LISTEN) {
      const d = drops?.get(listenerKey(family, local, t.localPort[i], t.inode[i]));
      if (dropsCol && d !== undefined) dropsCol[i] = d;
    } else if (waitsCol && t.inode[i] === 0) {
      const w = waits?.get(connectionKey(family, local, t.localPort[i], t.addresses[t.remoteAddress[i]], t.remotePort[i]));
      if (w !== undefined) waitsCol[i] = Math.min(w, 0xfffffffe);
    }
  }
  return t.withColumns({ drops: dropsCol, waitedMs: waitsCol });
}
