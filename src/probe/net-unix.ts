/**
 * Unix-domain sockets of one network namespace: from a unix_diag dump (src/probe/unix-diag.ts),
 * the only source of a listener's accept queue and backlog, or from /proc/net/unix, which lists
 * the same sockets without any queue length.
 *
 * /proc/net/unix (net/unix/af_unix.c unix_seq_show):
 *   "Num       RefCount Protocol Flags    Type St Inode Path"
 *   "%pK: %08X %08X %08X %04X %02X %5lu" then " " + the name when bound
 * Flags is __SO_ACCEPTCON (0x10000) for a listener; Type 0001 stream, 0002 dgram, 0005 seqpacket;
 * St 01 unconnected, 02 connecting, 03 connected, 04 disconnecting; an abstract name is printed
 * as "@" + its bytes with NULs as "@", a path as it is (spaces included, up to the end of line).
 * A connection waiting in a listener's queue is a socket of its own (the "embryo" that
 * unix_stream_connect makes for the server side): no file yet, so inode 0, St 02 (it has no
 * struct socket while its state is ESTABLISHED), and the listener's name. Counting them gives
 * the listener's queue length (the listener's Recv-Q in ss -xl, seen here: 65 embryos, Recv-Q 65);
 * the backlog is in no file, only in unix_diag.
 */
import { hostText } from '../safety/host-bytes.js';
import { existsSync } from 'node:fs';
import { scanUnixDiag, UNIX_ALL_STATES, UNIX_SHOW, type UnixDiagTable } from './unix-diag.js';
import { ADDON_PATH, loadNativeAddon } from './native.js';
import { describeError, outcomeOf, ParseError, readBytesUnder, readUnder, under } from './read-file.js';
import type { ProbeReport, UnixSocket, UnixSocketType } from '../snapshot/types.js';

/** Where a captured tree keeps the raw unix_diag dump (the host's; netns/INODE/ holds each namespace's). */
export const UNIX_CAPTURE_BIN = 'sock_diag/unix.bin';

const SO_ACCEPTCON = 0x10000;
const TYPES: Readonly<Record<number, UnixSocketType>> = { 1: 'stream', 2: 'dgram', 5: 'seqpacket' };

/**
 * Parses /proc/net/unix. A listener's queue length is counted from the pending connections listed
 * (see above); backlogs, other queue lengths, peers and file inodes are not in it: null. A line
 * that does not parse is handed to `onBadLine` (skipped) when given, else thrown.
 */
export function parseProcNetUnix(text: string, file = 'proc/net/unix', netns = 0, onBadLine?: (e: ParseError) => void): UnixSocket[] {
  const lines = text.split('\n');
  if (!/^Num\s+RefCount\s+Protocol\s+Flags\s+Type\s+St\s+Inode/.test(lines[0] ?? '')) {
    throw new ParseError(file, 1, 'missing header "Num RefCount Protocol Flags Type St Inode Path"');
  }
  const out: UnixSocket[] = [];
  const embryos = new Map<string, number>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line === '' && i === lines.length - 1) break;
    const m = /^[0-9a-fA-F]+: ([0-9A-F]{8}) ([0-9A-F]{8}) ([0-9A-F]{8}) ([0-9A-F]{4}) ([0-9A-F]{2}) +(\d+)(?: (.*))?$/.exec(line);
    const type = m ? TYPES[parseInt(m[4], 16)] : undefined;
    if (!m || !type) {
      const e = new ParseError(file, i + 1, m ? 'unknown socket type' : 'not the layout unix_seq_show prints');
      if (!onBadLine) throw e;
      onBadLine(e);
      continue;
    }
    const flags = parseInt(m[3], 16);
    const st = parseInt(m[5], 16);
    // The name is bytes; /proc shows them raw (read as latin1 here): kept whole (a byte that is not
    // UTF-8 as U+DC80+byte, src/safety/host-bytes.ts), as unix_diag's names are.
    const name = m[7] === undefined ? null : hostText(Buffer.from(m[7], 'latin1'));
    if (st === 2 && m[6] === '0' && name !== null && type !== 'dgram') {
      embryos.set(`${type} ${name}`, (embryos.get(`${type} ${name}`) ?? 0) + 1); // a queued connection, not a socket anyone holds
      continue;
    }
    out.push({
      type,
      state: flags & SO_ACCEPTCON ? 'LISTEN' : st === 3 ? 'ESTABLISHED' : st === 2 ? 'SYN_SENT' : 'CLOSE',
      inode: Number(m[6]),
      name,
      rqueue: null,
      wqueue: null,
      peer: null,
      fileInode: null,
      netns,
    });
  }
  // Queue lengths of the listeners; their backlogs stay unknown.
  for (const u of out) if (u.state === 'LISTEN' && u.name !== null && u.type !== 'dgram') u.rqueue = embryos.get(`${u.type} ${u.name}`) ?? 0;
  return out;
}

export interface UnixRead {
  /** Every socket of the namespace; from a dump, made on the first read of this property. */
  readonly sockets: UnixSocket[];
  /** Its sockets in LISTEN state (what the listener rules judge). */
  readonly listening: UnixSocket[];
  /** The inode of every socket (what names a process's socket fds "unix"). */
  readonly inodes: ArrayLike<number>;
  /** 'unix_diag': queue lengths known; 'proc': /proc/net/unix, no queue lengths; null: nothing read. */
  source: 'unix_diag' | 'proc' | null;
  reports: ProbeReport[];
  notes: string[];
}

/** A UnixRead of records (from /proc/net/unix, or none) or of a dump decoded on demand. */
export function unixReadOf(from: UnixSocket[] | UnixDiagTable, source: UnixRead['source'], reports: ProbeReport[], notes: string[] = []): UnixRead {
  if (Array.isArray(from)) {
    return { sockets: from, listening: from.filter((u) => u.state === 'LISTEN'), inodes: from.map((u) => u.inode), source, reports, notes };
  }
  return {
    get sockets() {
      return from.all();
    },
    listening: from.listening,
    inodes: from.inodes,
    source,
    reports,
    notes,
  };
}

function report(source: string, status: ProbeReport['status'], t0: number, detail?: string): ProbeReport {
  return { probe: 'net-unix', source, status, ms: performance.now() - t0, ...(detail ? { detail } : {}) };
}

/** ROOT/NETDIR/unix (NETDIR "proc/net", or "proc/PID/net" for PID's namespace). */
export function readProcNetUnix(root: string, netns = 0, netDir = 'proc/net', why?: string): UnixRead {
  const t0 = performance.now();
  const rel = `${netDir}/unix`;
  const path = under(root, rel);
  const bad: ParseError[] = [];
  try {
    const sockets = parseProcNetUnix(readUnder(root, rel, 'proc-table'), path, netns, (e) => bad.push(e));
    const r = report(path, bad.length ? 'partial' : 'ok', t0, [why, bad.length ? `${bad.length} malformed lines skipped (first: line ${bad[0].line})` : ''].filter(Boolean).join('; '));
    return unixReadOf(sockets, 'proc', [r], bad.length ? [`${path}: ${bad.length} malformed lines skipped; those unix sockets are missing.`] : []);
  } catch (err) {
    const status = err instanceof ParseError ? 'failed' : outcomeOf(err);
    return unixReadOf([], null, [report(path, status, t0, describeError(err))]);
  }
}

/** The bytes of a live unix_diag dump of this thread's namespace, for a capture; null without the addon. */
export function captureUnixBytes(addonPath = ADDON_PATH): Buffer | null {
  try {
    const addon = loadNativeAddon(addonPath);
    return typeof addon.unixDiagDump === 'function' ? addon.unixDiagDump(UNIX_ALL_STATES, UNIX_SHOW) : null;
  } catch (err) {
    void err; // best effort: the reader of the capture falls back to proc/net/unix
    return null;
  }
}

export const UNIX_DIAG_SOURCE = 'netlink NETLINK_SOCK_DIAG (AF_UNIX)';

/** Parses dump bytes read inside a namespace or from a capture; a parse failure falls back to `fallback`. */
export function unixFromBytes(bytes: Uint8Array, source: string, netns: number, fallback: () => UnixRead): UnixRead {
  const t0 = performance.now();
  try {
    return unixReadOf(scanUnixDiag(bytes, source, netns), 'unix_diag', [report(source, 'ok', t0)]);
  } catch (err) {
    const back = fallback();
    back.reports.unshift(report(source, 'failed', t0, describeError(err)));
    return back;
  }
}

/**
 * Every unix-domain socket of the reader's namespace: the live root asks unix_diag through the
 * addon (unless SOCKDOC_NET_SOURCE=proc), any other root reads its captured dump; either way
 * /proc/net/unix is the fallback, without queue lengths.
 */
export function readUnixSockets(root = '/', opts: { netns?: number; addonPath?: string } = {}): UnixRead {
  const netns = opts.netns ?? 0;
  const t0 = performance.now();
  if (root !== '/') {
    if (existsSync(under(root, UNIX_CAPTURE_BIN))) {
      const bin = under(root, UNIX_CAPTURE_BIN);
      try {
        return unixFromBytes(readBytesUnder(root, UNIX_CAPTURE_BIN, 'binary'), bin, netns, () => readProcNetUnix(root, netns));
      } catch (err) {
        const back = readProcNetUnix(root, netns);
        back.reports.unshift(report(bin, outcomeOf(err) === 'denied' ? 'denied' : 'failed', t0, describeError(err)));
        return back;
      }
    }
    return readProcNetUnix(root, netns);
  }
  let why: string;
  if (process.env.SOCKDOC_NET_SOURCE === 'proc') why = 'SOCKDOC_NET_SOURCE=proc';
  else {
    try {
      const addon = loadNativeAddon(opts.addonPath ?? ADDON_PATH);
      if (typeof addon.unixDiagDump !== 'function') why = 'the native module is older than unixDiagDump (rebuild it: npm run build)';
      else return unixFromBytes(addon.unixDiagDump(UNIX_ALL_STATES, UNIX_SHOW), UNIX_DIAG_SOURCE, netns, () => readProcNetUnix(root, netns));
    } catch (err) {
      // Not built, or the kernel has no unix_diag (CONFIG_UNIX_DIAG) or refuses netlink: /proc/net/unix lists the sockets.
      why = `unix_diag unavailable (${describeError(err).split('\n')[0]})`;
    }
  }
  return readProcNetUnix(root, netns, 'proc/net', `${why}; read /proc/net/unix instead`);
}
