/**
 * Decodes raw sock_diag netlink replies (SOCK_DIAG_BY_FAMILY dumps) into inet_diag_msg records.
 * Pure: the same bytes come from the native addon on a live host or from a captured file.
 *
 * Layouts (include/uapi/linux/netlink.h, include/uapi/linux/inet_diag.h):
 *   struct nlmsghdr      { u32 len; u16 type; u16 flags; u32 seq; u32 pid; }           16 bytes
 *   struct inet_diag_msg { u8 family, state, timer, retrans;
 *                          struct inet_diag_sockid { be16 sport, dport; be32 src[4], dst[4];
 *                                                    u32 if; u32 cookie[2]; };
 *                          u32 expires, rqueue, wqueue, uid, inode; }                     72 bytes
 * followed by netlink attributes (struct rtattr { u16 len; u16 type; } + payload, 4-byte aligned), of
 * which sockdoc reads INET_DIAG_SKV6ONLY, INET_DIAG_SKMEMINFO (u32[SK_MEMINFO_VARS],
 * include/uapi/linux/sock_diag.h: SK_MEMINFO_DROPS is the 9th) and INET_DIAG_INFO (struct tcp_info,
 * include/uapi/linux/tcp.h: tcpi_last_data_sent at byte 44, tcpi_last_data_recv 52,
 * tcpi_last_ack_recv 56). Header and u32 fields are in host byte order; ports and addresses in
 * network order.
 */
import { formatIPv4Bytes, formatIPv6Bytes } from './inet-address.js';
import { forEachDiagMessage, LITTLE_ENDIAN } from './netlink-stream.js';
import { TCP_STATES, type TcpState } from '../snapshot/types.js';

export const AF_INET = 2;
export const AF_INET6 = 10;
export const IPPROTO_TCP = 6;
/** include/net/tcp_states.h TCP_LISTEN; sock_diag's `states` is a bitmask of 1 << state. */
export const TCP_LISTEN = 10;

const INET_DIAG_MSG_LEN = 72;
/** include/uapi/linux/inet_diag.h; sent for AF_INET6 sockets in LISTEN or CLOSE (inet_diag_msg_attrs_fill). */
const INET_DIAG_SKV6ONLY = 11;
/** struct tcp_info, when asked (idiag_ext bit 1). */
const INET_DIAG_INFO = 2;
/** u32 sk_meminfo[], when asked (idiag_ext bit 6). */
const INET_DIAG_SKMEMINFO = 7;
/** Index of SK_MEMINFO_DROPS in it (Linux 4.7+; earlier kernels send 8 values). */
const SK_MEMINFO_DROPS = 8;
const TCPI_LAST_DATA_SENT = 44;
const TCPI_LAST_DATA_RECV = 52;
const TCPI_LAST_ACK_RECV = 56;

/** The time fields of a socket's tcp_info, ms ago (net/ipv4/tcp.c tcp_get_info). */
export interface TcpInfoTimes {
  lastDataSent: number;
  lastDataRecv: number;
  lastAckRecv: number;
}

/** One socket as sock_diag describes it. */
export interface InetDiagMsg {
  family: 4 | 6;
  state: TcpState;
  /** Which timer runs (0 none, 1 retransmit, 2 keepalive, 3 TIME_WAIT, 4 zero-window probe). */
  timer: number;
  retrans: number;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** Bound interface index, 0 when not bound to a device. */
  ifIndex: number;
  cookie: bigint;
  /** Milliseconds until the timer fires. */
  expires: number;
  /** LISTEN: current accept-queue length (sk_ack_backlog). Others: unread bytes. */
  rqueue: number;
  /** LISTEN: the backlog limit (sk_max_ack_backlog, net/ipv4/tcp_diag.c). Others: unsent bytes. */
  wqueue: number;
  uid: number;
  inode: number;
  /** IPV6_V6ONLY from INET_DIAG_SKV6ONLY; null when the kernel did not send it (IPv4, or not LISTEN/CLOSE). */
  v6only: boolean | null;
  /** sk_drops from INET_DIAG_SKMEMINFO; null when not asked or not sent (kernel before 4.7). */
  drops: number | null;
  /** From INET_DIAG_INFO; null when not asked. */
  tcpInfo: TcpInfoTimes | null;
}

/**
 * How long a waiting connection has waited, from its tcp_info (ms): since the handshake completed,
 * which is when the child socket's lsndtime was set and nothing sent since (last_data_sent); never
 * less than since the client last spoke (last_data_recv, last_ack_recv), which bounds it from below
 * on a kernel that set lsndtime otherwise.
 */
export function waitFromTcpInfo(lastDataSent: number, lastDataRecv: number, lastAckRecv: number): number {
  return Math.max(lastDataSent, Math.min(lastDataRecv, lastAckRecv));
}

/**
 * Parses a stream of netlink messages: one or more complete dumps, each ending in NLMSG_DONE.
 * Throws ParseError (line = 1-based message number) for a truncated stream, an NLMSG_ERROR, a
 * message type other than SOCK_DIAG_BY_FAMILY, or an unknown family or state.
 * @example parseInetDiag(readFileSync('tcp-listen.bin')).map((m) => m.wqueue) // [128, 4096]
 */
export function parseInetDiag(buf: Uint8Array, file = 'sock_diag'): InetDiagMsg[] {
  const out: InetDiagMsg[] = [];
  forEachDiagMessage(buf, file, ({ body, end, view, fail }) => {
    if (end - body < INET_DIAG_MSG_LEN) fail(`inet_diag_msg of ${end - body} bytes, expected ${INET_DIAG_MSG_LEN}`);
    const u16 = (at: number) => view.getUint16(at, LITTLE_ENDIAN);
    const u32 = (at: number) => view.getUint32(at, LITTLE_ENDIAN);
    const msg = decodeMsg(buf, view, body, u32, fail);
    readAttributes(msg, buf, u16, u32, body + INET_DIAG_MSG_LEN, end);
    out.push(msg);
  });
  return out;
}

/** The attributes sockdoc reads, between `start` and `end`, into `msg`; stops at a malformed attribute. */
function readAttributes(msg: InetDiagMsg, buf: Uint8Array, u16: (at: number) => number, u32: (at: number) => number, start: number, end: number): void {
  for (let a = start; a + 4 <= end; ) {
    const len = u16(a);
    if (len < 4 || a + len > end) return;
    const type = u16(a + 2);
    const payload = a + 4;
    if (type === INET_DIAG_SKV6ONLY && len > 4) msg.v6only = buf[payload] !== 0;
    else if (type === INET_DIAG_SKMEMINFO && len >= 4 + 4 * (SK_MEMINFO_DROPS + 1)) msg.drops = u32(payload + 4 * SK_MEMINFO_DROPS);
    else if (type === INET_DIAG_INFO && len >= 4 + TCPI_LAST_ACK_RECV + 4) {
      msg.tcpInfo = { lastDataSent: u32(payload + TCPI_LAST_DATA_SENT), lastDataRecv: u32(payload + TCPI_LAST_DATA_RECV), lastAckRecv: u32(payload + TCPI_LAST_ACK_RECV) };
    }
    a += (len + 3) & ~3;
  }
}

function decodeMsg(
  buf: Uint8Array,
  view: DataView,
  m: number,
  u32: (at: number) => number,
  fail: (reason: string) => never,
): InetDiagMsg {
  const af = buf[m];
  if (af !== AF_INET && af !== AF_INET6) fail(`address family ${af} is neither AF_INET nor AF_INET6`);
  const st = buf[m + 1];
  if (st < 1 || st > TCP_STATES.length) fail(`unknown TCP state ${st}`);
  const id = m + 4; // struct inet_diag_sockid
  const v4 = af === AF_INET;
  const addr = (at: number) => (v4 ? formatIPv4Bytes(buf, at) : formatIPv6Bytes(buf, at));
  return {
    family: v4 ? 4 : 6,
    state: TCP_STATES[st - 1],
    timer: buf[m + 2],
    retrans: buf[m + 3],
    localPort: view.getUint16(id, false),
    remotePort: view.getUint16(id + 2, false),
    localAddress: addr(id + 4),
    remoteAddress: addr(id + 20),
    ifIndex: u32(id + 36),
    cookie: (BigInt(u32(id + 44)) << 32n) | BigInt(u32(id + 40)),
    expires: u32(m + 52),
    rqueue: u32(m + 56),
    wqueue: u32(m + 60),
    uid: u32(m + 64),
    inode: u32(m + 68),
    v6only: null,
    drops: null,
    tcpInfo: null,
  };
}
