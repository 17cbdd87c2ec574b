/**
 * Decodes raw unix_diag replies (a SOCK_DIAG_BY_FAMILY dump for AF_UNIX) into UnixSocket records.
 * Pure: the same bytes come from the native addon on a live host (unixDiagDump, or read inside
 * another namespace by native/netns.c) and from a captured sock_diag/unix.bin.
 *
 * Layouts (include/uapi/linux/unix_diag.h, net/unix/diag.c):
 *   struct nlmsghdr      { u32 len; u16 type; u16 flags; u32 seq; u32 pid; }        16 bytes
 *   struct unix_diag_msg { u8 family, type, state, pad; u32 ino; u32 cookie[2]; }   16 bytes
 * then attributes (struct rtattr { u16 len; u16 type; } + payload, 4-byte aligned):
 *   UNIX_DIAG_NAME (0)  sun_path bytes: a path with its trailing NUL, or NUL + an abstract name;
 *   UNIX_DIAG_VFS (1)   { u32 ino; u32 dev } of the socket file a path socket was bound to;
 *   UNIX_DIAG_PEER (2)  u32 inode of the connected peer;
 *   UNIX_DIAG_ICONS (3) u32 inodes of the clients queued on a listener (one per pending connection);
 *   UNIX_DIAG_RQLEN (4) { u32 rqueue; u32 wqueue }: for a listener the accept queue
 *                       (sk_receive_queue.qlen) and its backlog (sk_max_ack_backlog, which
 *                       listen() clamps to net.core.somaxconn like a TCP one: net/socket.c
 *                       __sys_listen); otherwise unix_inq_len / unix_outq_len.
 * A listener is full when rqueue > wqueue (net/unix/af_unix.c unix_recvq_full): connect() then
 * sleeps (blocking) or fails with EAGAIN (non-blocking), where TCP would drop the handshake.
 */
import { forEachDiagMessage, LITTLE_ENDIAN } from './netlink-stream.js';
import { TCP_STATES, type UnixSocket, type UnixSocketType } from '../snapshot/types.js';

export const AF_UNIX = 1;
/** UDIAG_SHOW_NAME | VFS | PEER | ICONS | RQLEN: what native/sockdiag.h SOCKDOC_UNIX_SHOW asks for. */
export const UNIX_SHOW = 0x1f;
/** Every state (native/sockdiag.h SOCKDOC_UNIX_STATES). */
export const UNIX_ALL_STATES = 0xffffffff;

const UNIX_DIAG_MSG_LEN = 16;
const UNIX_DIAG_NAME = 0;
const UNIX_DIAG_VFS = 1;
const UNIX_DIAG_PEER = 2;
const UNIX_DIAG_ICONS = 3;
const UNIX_DIAG_RQLEN = 4;

/** include/linux/net.h enum sock_type. */
const SOCK_TYPES: Readonly<Record<number, UnixSocketType>> = { 1: 'stream', 2: 'dgram', 5: 'seqpacket' };

const utf8 = new TextDecoder('utf-8');

/**
 * A sun_path as ss and /proc/net/unix show it: a path up to its NUL; an abstract name (first byte
 * NUL) as "@" + the name with every NUL shown as "@" (net/unix/af_unix.c unix_seq_show).
 */
export function unixName(bytes: Uint8Array): string {
  if (bytes.length === 0) return '';
  if (bytes[0] !== 0) {
    const end = bytes.indexOf(0);
    return utf8.decode(end < 0 ? bytes : bytes.subarray(0, end));
  }
  const copy = Uint8Array.from(bytes);
  for (let i = 0; i < copy.length; i++) if (copy[i] === 0) copy[i] = 64; // '@'
  return utf8.decode(copy);
}

/**
 * Parses one or more complete unix_diag dumps (each ending in NLMSG_DONE) into sockets of
 * namespace `netns`. Throws ParseError (line = 1-based message number) for a truncated stream, an
 * NLMSG_ERROR, a message of another type or family, or an unknown socket type or state.
 * @example parseUnixDiag(readFileSync('unix.bin')).filter((s) => s.state === 'LISTEN')
 */
export function parseUnixDiag(buf: Uint8Array, file = 'unix_diag', netns = 0): UnixSocket[] {
  const out: UnixSocket[] = [];
  forEachDiagMessage(buf, file, ({ body, end, view, fail }) => {
    const u16 = (at: number) => view.getUint16(at, LITTLE_ENDIAN);
    const u32 = (at: number) => view.getUint32(at, LITTLE_ENDIAN);
    if (end - body < UNIX_DIAG_MSG_LEN) fail(`unix_diag_msg of ${end - body} bytes, expected ${UNIX_DIAG_MSG_LEN}`);
    if (buf[body] !== AF_UNIX) fail(`address family ${buf[body]} is not AF_UNIX`);
    const sockType = SOCK_TYPES[buf[body + 1]];
    if (!sockType) fail(`unknown socket type ${buf[body + 1]}`);
    const st = buf[body + 2];
    if (st < 1 || st > TCP_STATES.length) fail(`unknown state ${st}`);
    const s: UnixSocket = {
      type: sockType as UnixSocketType,
      state: TCP_STATES[st - 1],
      inode: u32(body + 4),
      name: null,
      rqueue: null,
      wqueue: null,
      peer: null,
      fileInode: null,
      netns,
    };
    for (let a = body + UNIX_DIAG_MSG_LEN; a + 4 <= end; ) {
      const alen = u16(a);
      if (alen < 4 || a + alen > end) fail(`attribute of length ${alen} runs past its message`);
      const p = a + 4;
      const plen = alen - 4;
      switch (u16(a + 2)) {
        case UNIX_DIAG_NAME:
          s.name = unixName(buf.subarray(p, p + plen));
          break;
        case UNIX_DIAG_VFS:
          if (plen >= 8) s.fileInode = u32(p);
          break;
        case UNIX_DIAG_PEER:
          if (plen >= 4) s.peer = u32(p);
          break;
        case UNIX_DIAG_ICONS: {
          const queued: number[] = [];
          for (let k = 0; k + 4 <= plen; k += 4) queued.push(u32(p + k));
          s.queued = queued;
          break;
        }
        case UNIX_DIAG_RQLEN:
          if (plen >= 8) {
            s.rqueue = u32(p);
            s.wqueue = u32(p + 4);
          }
          break;
        default:
          break; // attributes sockdoc did not ask for
      }
      a += (alen + 3) & ~3;
    }
    // UNIX_DIAG_PEER was asked for; without it the socket has no peer (unconnected, or the peer closed).
    if (s.peer === null) s.peer = 0;
    out.push(s);
  });
  return out;
}
