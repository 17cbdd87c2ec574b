/**
 * The framing every sock_diag reply shares: a stream of netlink messages (include/uapi/linux/
 * netlink.h: struct nlmsghdr { u32 len; u16 type; u16 flags; u32 seq; u32 pid; }, 16 bytes, each
 * message 4-byte aligned), one or more dumps, each ending in NLMSG_DONE. Pure; the family's parser
 * (inet-diag.ts, unix-diag.ts) decodes each SOCK_DIAG_BY_FAMILY body.
 */
import { endianness } from 'node:os';
import { ParseError } from './read-file.js';

export const LITTLE_ENDIAN = endianness() === 'LE';
export const NLMSG_HDRLEN = 16;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const SOCK_DIAG_BY_FAMILY = 20;

/**
 * One SOCK_DIAG_BY_FAMILY message: its body's offset and end in the buffer, and how to fail naming
 * it. The same record is passed for every message of a stream: read it, do not keep it.
 */
export interface DiagMessage {
  body: number;
  end: number;
  view: DataView;
  fail: (reason: string) => never;
}

/**
 * Calls `onMessage` for every SOCK_DIAG_BY_FAMILY message of `buf`. Throws ParseError (line =
 * 1-based message number) for a truncated stream, an NLMSG_ERROR, a dump that ended with an errno,
 * or a message of another type.
 */
export function forEachDiagMessage(buf: Uint8Array, file: string, onMessage: (m: DiagMessage) => void): void {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let offset = 0;
  let index = 0;
  let at = 0;
  let doneSeen = false;
  // One record and one fail function for the whole stream (a dump has one message per socket).
  const fail = (reason: string): never => {
    throw new ParseError(file, index, `${reason} (netlink message at byte ${at})`);
  };
  const message: DiagMessage = { body: 0, end: 0, view, fail };
  while (offset < buf.length) {
    index++;
    at = offset;
    if (buf.length - offset < NLMSG_HDRLEN) fail(`${buf.length - offset} trailing bytes, shorter than a netlink header`);
    const len = view.getUint32(offset, LITTLE_ENDIAN);
    const type = view.getUint16(offset + 4, LITTLE_ENDIAN);
    if (len < NLMSG_HDRLEN || offset + len > buf.length) fail(`message length ${len} runs past the ${buf.length} bytes`);
    const body = offset + NLMSG_HDRLEN;
    if (type === NLMSG_DONE) {
      doneSeen = true;
      // A dump interrupted by an error ends in NLMSG_DONE carrying a negative errno.
      if (len >= NLMSG_HDRLEN + 4 && view.getInt32(body, LITTLE_ENDIAN) < 0) fail(`dump ended with errno ${-view.getInt32(body, LITTLE_ENDIAN)}`);
    } else if (type === NLMSG_ERROR) {
      fail(`kernel answered NLMSG_ERROR errno ${len >= NLMSG_HDRLEN + 4 ? -view.getInt32(body, LITTLE_ENDIAN) : NaN}`);
    } else if (type === SOCK_DIAG_BY_FAMILY) {
      doneSeen = false; // a following dump must end in its own NLMSG_DONE
      message.body = body;
      message.end = offset + len;
      onMessage(message);
    } else {
      fail(`unexpected netlink message type ${type}`);
    }
    offset += (len + 3) & ~3;
  }
  if (!doneSeen) throw new ParseError(file, index + 1, 'no NLMSG_DONE at the end: the dump is truncated');
}
