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
import { hostText } from '../safety/host-bytes.js';
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

/**
 * A sun_path as ss and /proc/net/unix show it: a path up to its NUL; an abstract name (first byte
 * NUL) as "@" + the name with every NUL shown as "@" (net/unix/af_unix.c unix_seq_show).
 */
export function unixName(bytes: Uint8Array): string {
  return unixNameAt(bytes, 0, bytes.length);
}

/**
 * unixName of bytes [start, end) of `buf`: a name is bytes (the kernel checks nothing), kept whole
 * through hostText (a byte that is not UTF-8 as U+DC80+byte), so two names that differ only in such
 * bytes stay two names.
 */
function unixNameAt(buf: Uint8Array, start: number, end: number): string {
  if (end <= start) return '';
  if (buf[start] !== 0) {
    const nul = buf.indexOf(0, start);
    return hostText(buf, start, nul < 0 || nul > end ? end : nul);
  }
  // Abstract: every NUL is "@", the leading one included. (libuv binds abstract names with the
  // whole 108-byte sun_path: Node's come padded with NULs, "@name@@@@...", as ss shows them.)
  const len = end - start;
  if (len > scratch.length) scratch = Buffer.allocUnsafe(len);
  for (let i = 0; i < len; i++) {
    const b = buf[start + i];
    scratch[i] = b === 0 ? 64 : b;
  }
  return hostText(scratch, 0, len);
}

/** Where abstract names are rewritten ("@" for NUL) before decoding; grown when a name is longer. */
let scratch = Buffer.allocUnsafe(128);

/**
 * A unix_diag dump checked whole but decoded on demand: every socket's inode and state at once
 * (what the fd kinds and the listeners need), the listening sockets as records, the rest only when
 * something asks for them (`sockdoc sockets --unix`, `why`). On a host with 10,000 unix sockets a
 * diagnosis then makes a few dozen records instead of 10,000.
 */
export interface UnixDiagTable {
  readonly length: number;
  /** Inode of each socket, in dump order. */
  readonly inodes: Uint32Array;
  /** The sockets in LISTEN state, as records. */
  readonly listening: UnixSocket[];
  /** Every socket as a record, made on the first call. */
  all(): UnixSocket[];
}

/**
 * Reads one or more complete unix_diag dumps (each ending in NLMSG_DONE) as sockets of namespace
 * `netns`. Everything a record could fail on is checked here, whether or not it is decoded later:
 * throws ParseError (line = 1-based message number) for a truncated stream, an NLMSG_ERROR, a
 * message of another type or family, an unknown socket type or state, or an attribute running past
 * its message.
 */
export function scanUnixDiag(buf: Uint8Array, file = 'unix_diag', netns = 0): UnixDiagTable {
  let bodies: Uint32Array = new Uint32Array(256);
  let ends: Uint32Array = new Uint32Array(256);
  let inodes: Uint32Array = new Uint32Array(256);
  let n = 0;
  const listening: UnixSocket[] = [];
  let view: DataView | null = null;
  forEachDiagMessage(buf, file, (m) => {
    const { body, end, fail } = m;
    view = m.view;
    if (end - body < UNIX_DIAG_MSG_LEN) fail(`unix_diag_msg of ${end - body} bytes, expected ${UNIX_DIAG_MSG_LEN}`);
    if (buf[body] !== AF_UNIX) fail(`address family ${buf[body]} is not AF_UNIX`);
    if (!SOCK_TYPES[buf[body + 1]]) fail(`unknown socket type ${buf[body + 1]}`);
    const st = buf[body + 2];
    if (st < 1 || st > TCP_STATES.length) fail(`unknown state ${st}`);
    for (let a = body + UNIX_DIAG_MSG_LEN; a + 4 <= end; ) {
      const alen = buf[a] | (buf[a + 1] << 8); // little-endian u16, as the kernel wrote it on this host
      if (alen < 4 || a + alen > end) fail(`attribute of length ${alen} runs past its message`);
      a += (alen + 3) & ~3;
    }
    if (n === bodies.length) {
      bodies = grow(bodies);
      ends = grow(ends);
      inodes = grow(inodes);
    }
    bodies[n] = body;
    ends[n] = end;
    inodes[n] = m.view.getUint32(body + 4, LITTLE_ENDIAN);
    n++;
    if (st === LISTEN) listening.push(decodeUnixMessage(buf, m.view, body, end, netns));
  });
  const count = n;
  let all: UnixSocket[] | null = null;
  return {
    length: count,
    inodes: inodes.subarray(0, count),
    listening,
    all() {
      if (all) return all;
      all = new Array<UnixSocket>(count);
      for (let i = 0; i < count; i++) all[i] = decodeUnixMessage(buf, view as DataView, bodies[i], ends[i], netns);
      return all;
    },
  };
}

const LISTEN = TCP_STATES.indexOf('LISTEN') + 1;

function grow(a: Uint32Array): Uint32Array {
  const b = new Uint32Array(a.length * 2);
  b.set(a);
  return b;
}

/**
 * Parses one or more complete unix_diag dumps into records of every socket (scanUnixDiag's checks
 * and errors).
 * @example parseUnixDiag(readFileSync('unix.bin')).filter((s) => s.state === 'LISTEN')
 */
export function parseUnixDiag(buf: Uint8Array, file = 'unix_diag', netns = 0): UnixSocket[] {
  return scanUnixDiag(buf, file, netns).all();
}

/** One message scanUnixDiag has checked, as a record. */
function decodeUnixMessage(buf: Uint8Array, view: DataView, body: number, end: number, netns: number): UnixSocket {
  const s: UnixSocket = {
    type: SOCK_TYPES[buf[body + 1]],
    state: TCP_STATES[buf[body + 2] - 1],
    inode: view.getUint32(body + 4, LITTLE_ENDIAN),
    name: null,
    rqueue: null,
    wqueue: null,
    peer: null,
    fileInode: null,
    netns,
  };
  for (let a = body + UNIX_DIAG_MSG_LEN; a + 4 <= end; ) {
    const alen = view.getUint16(a, LITTLE_ENDIAN);
    const p = a + 4;
    const plen = alen - 4;
    switch (view.getUint16(a + 2, LITTLE_ENDIAN)) {
      case UNIX_DIAG_NAME:
        s.name = unixNameAt(buf, p, p + plen);
        break;
      case UNIX_DIAG_VFS:
        if (plen >= 8) s.fileInode = view.getUint32(p, LITTLE_ENDIAN);
        break;
      case UNIX_DIAG_PEER:
        if (plen >= 4) s.peer = view.getUint32(p, LITTLE_ENDIAN);
        break;
      case UNIX_DIAG_ICONS: {
        const queued: number[] = [];
        for (let k = 0; k + 4 <= plen; k += 4) queued.push(view.getUint32(p + k, LITTLE_ENDIAN));
        s.queued = queued;
        break;
      }
      case UNIX_DIAG_RQLEN:
        if (plen >= 8) {
          s.rqueue = view.getUint32(p, LITTLE_ENDIAN);
          s.wqueue = view.getUint32(p + 4, LITTLE_ENDIAN);
        }
        break;
      default:
        break; // attributes sockdoc did not ask for
    }
    a += (alen + 3) & ~3;
  }
  // UNIX_DIAG_PEER was asked for; without it the socket has no peer (unconnected, or the peer closed).
  if (s.peer === null) s.peer = 0;
  return s;
}
