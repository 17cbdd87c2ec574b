/**
 * /proc/PID/fd: one entry per open fd, each a symlink whose target names the open file
 * (fs/proc/fd.c proc_readfd, proc_fd_link). A socket reads `socket:[INODE]` (net/socket.c
 * sockfs_dname), and that inode is the `inode` column of /proc/net/tcp: this walk is how a socket
 * finds its process, the same way `ss -p` and `netstat -p` do.
 *
 * Hosts hold 100k+ fds, so the per-fd path is one readlinkSync and a hand parse, nothing more.
 * Measured here (Linux 6.18, 2 CPUs, 100k socket fds in 5 processes): ~5 µs per fd, against ~4.3 µs
 * for a C readdir + readlink(full path) walk; readlink itself is ~4 µs of kernel time. fs.promises or
 * callbacks with 4-64 in flight took 6-19 µs/fd (event-loop cost per call exceeds the kernel time
 * overlapped). The fast path is native: src/probe/fd-walk.ts runs native/fdwalk.c (readlinkat relative
 * to the open directory, pids shared by threads, ~2 µs/fd of wall time on 2 CPUs) and falls back to
 * this reader when the addon is not built; both must give the same answer (fd-walk.test.ts).
 */
import { opendirSync, readlinkSync, type Dir, type Dirent } from 'node:fs';
import { resolveUnder, statUnder } from './read-file.js';
import { fdKindOfTarget, WALK_KIND_INDEX, WALK_KINDS } from './fd-kinds.js';

export interface PidFds {
  /** Open fds (entries of the fd directory); null when the directory could not be read (EACCES). */
  count: number | null;
  /** [fd, socket inode] for every fd that is a socket, fd ascending. */
  sockets: Array<[fd: number, inode: number]>;
  /** True when permission was refused for the directory or for some of its links (not root). */
  denied: boolean;
  /** Open fds by kind, indexed as WALK_KINDS (src/probe/fd-kinds.ts); all 0 when the directory was refused. */
  kinds: Uint32Array;
  /** fd numbers of its inotify instances, ascending (their fdinfo lists the watches). */
  inotify: number[];
}

/** 's' 'o' 'c' 'k' 'e' 't' ':' '[' */
const SOCKET_PREFIX = 'socket:[';
const PREFIX_LEN = SOCKET_PREFIX.length;
const CH_S = 115;
const CH_0 = 48;
const CH_9 = 57;
const CH_CLOSE = 93; // ']'

/** The inode of a `socket:[N]` link target, or -1 for any other target. */
export function socketInode(target: string): number {
  if (target.charCodeAt(0) !== CH_S || !target.startsWith(SOCKET_PREFIX)) return -1;
  let inode = 0;
  const end = target.length - 1;
  if (end <= PREFIX_LEN || target.charCodeAt(end) !== CH_CLOSE) return -1;
  for (let i = PREFIX_LEN; i < end; i++) {
    const c = target.charCodeAt(i);
    if (c < CH_0 || c > CH_9) return -1;
    inode = inode * 10 + (c - CH_0);
  }
  return inode;
}

/** fd directory entries are decimal fd numbers (proc_readfd_common prints them with %u). */
function fdNumber(name: string): number {
  let fd = 0;
  for (let i = 0; i < name.length; i++) fd = fd * 10 + (name.charCodeAt(i) - CH_0);
  return fd;
}

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

/** In a capture: the file standing for a /proc/PID/fd that could not be listed (src/snapshot/capture.ts). */
export const FD_REFUSED_FILE = 'fd.refused';
/** In a capture: the target of an fd link that could not be read. */
export const FD_REFUSED_TARGET = 'sockdoc:refused';

/**
 * Lists ROOT/proc/PID/fd and resolves each link. An fd closed between readdir and readlink (ENOENT)
 * is skipped. EACCES on the directory gives count null and denied; other errors on the directory,
 * ENOENT included (the process is gone), are thrown as is.
 * @example readPidFds('/', 1234) // { count: 12, sockets: [[3, 41623], [7, 41630]], denied: false }
 */
export function readPidFds(root: string, pid: number): PidFds {
  let dir: string;
  let handle: Dir;
  try {
    // Resolved confined: in a capture, proc/PID could be a link out of the tree.
    dir = resolveUnder(root, `proc/${pid}/fd`) + '/';
    // opendir rather than readdirSync: libuv's scandir sorts names as strings (strcmp) and
    // allocates them all up front; iterating keeps the kernel's order (fds ascending) and was ~5% faster.
    handle = opendirSync(dir, { bufferSize: 256 });
  } catch (err) {
    const code = errCode(err);
    const refused = () => ({ count: null, sockets: [], denied: true, kinds: new Uint32Array(WALK_KINDS.length), inotify: [] });
    if (code === 'EACCES' || code === 'EPERM') return refused();
    // A capture records a refused directory as a file, so the gap stays a gap (never 0 open fds).
    if (root !== '/' && code === 'ENOENT' && statUnder(root, `proc/${pid}/${FD_REFUSED_FILE}`)) return refused();
    throw err;
  }
  const sockets: Array<[number, number]> = [];
  const kinds = new Uint32Array(WALK_KINDS.length);
  const inotify: number[] = [];
  let count = 0;
  let denied = false;
  try {
    let entry: Dirent | null;
    while ((entry = handle.readSync()) !== null) {
      const name = entry.name;
      let target: string;
      try {
        target = readlinkSync(dir + name);
      } catch (err) {
        const code = errCode(err);
        if (code === 'ENOENT') continue; // closed since readdir: no longer open
        // proc_fd_access_allowed: each link needs ptrace read access even when the directory listed.
        if (code === 'EACCES' || code === 'EPERM') {
          denied = true;
          count++;
          kinds[UNKNOWN]++;
          continue;
        }
        throw err;
      }
      count++;
      if (target === FD_REFUSED_TARGET) {
        denied = true;
        kinds[UNKNOWN]++;
        continue;
      }
      const inode = socketInode(target);
      if (inode >= 0) {
        sockets.push([fdNumber(name), inode]);
        kinds[SOCKET]++;
        continue;
      }
      // "socket:[" with a malformed number is no socket sockdoc can match (native/fdwalk.c: other).
      const kind = fdKindOfTarget(target);
      kinds[kind === 'socket' ? OTHER : WALK_KIND_INDEX[kind]]++;
      if (kind === 'inotify') inotify.push(fdNumber(name));
    }
  } finally {
    handle.closeSync();
  }
  // procfs lists fds ascending (proc_readfd_common walks the fd table in order); a fixture tree on
  // another filesystem lists in its own order, and callers rely on fd order.
  for (let i = 1; i < sockets.length; i++) {
    if (sockets[i - 1][0] > sockets[i][0]) {
      sockets.sort((a, b) => a[0] - b[0]);
      break;
    }
  }
  inotify.sort((a, b) => a - b);
  return { count, sockets, denied, kinds, inotify };
}

const SOCKET = WALK_KIND_INDEX.socket;
const OTHER = WALK_KIND_INDEX.other;
const UNKNOWN = WALK_KIND_INDEX.unknown;
