/**
 * The optional native addon (native/: sockdiag.c, fdwalk.c), built by scripts/build-native.mjs.
 * Every user has a fallback: `ss` for backlog limits, the JavaScript walk for /proc/PID/fd.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** What native/fdwalk.c returns: per pid (in the order asked) and the sockets found, no per-fd objects. */
export interface NativeFdWalk {
  /** Per pid: open fds, or -errno when the walk failed (readPidFds would have thrown). */
  status: Int32Array;
  /** Per pid: FD_REFUSED | FD_DIR_DENIED. */
  flags: Uint8Array;
  /** (pid, fd, inode) triples: pids in the order asked, fds ascending. */
  sockets: Float64Array;
  /** Per pid, WALK_KINDS.length counts: its open fds by kind (native/fdkind.h). Missing in an addon built before it. */
  kinds?: Uint32Array;
  /** (pid, fd) pairs of every inotify instance. Missing in an addon built before it. */
  inotify?: Uint32Array;
  /** Wall time of the walk in ms (for the pid-fd probe report). */
  ms: number;
  /** True when the BPF task_file iterator answered (the pids it did not report were walked in /proc). */
  bpf?: boolean;
  /** Why the iterator, when one was given, did not answer ("step: strerror"); /proc was walked instead. */
  bpfError?: string | null;
}

/** Some links of the directory were refused (EACCES/EPERM on readlink); they are counted. */
export const FD_REFUSED = 1;
/** The fd directory itself was refused: its count is unknown. */
export const FD_DIR_DENIED = 2;

/** What native/tcptable.c returns: every TCP socket as columns, addresses deduplicated. */
export interface NativeTcpTable {
  count: number;
  /** 8 words per socket: family | state << 8, sport << 16 | dport, local and remote address index, rqueue, wqueue, uid, inode. */
  rows: Uint32Array;
  /** 16 network-order bytes per distinct address (IPv4 in the first 4). */
  addrs: Uint8Array;
  /** 4 or 6 per distinct address. */
  addrFamilies: Uint8Array;
  /** False when the kernel has no IPv6 sock_diag handler (IPv6 disabled). */
  ipv6: boolean;
  /**
   * (row, drops) pairs: SK_MEMINFO_DROPS of each listener whose reply carried it (INET_DIAG_SKMEMINFO;
   * Linux 4.7+). Missing in an addon built before it.
   */
  listenerDrops?: Uint32Array;
  /**
   * (row, last_data_sent, last_data_recv, last_ack_recv) in ms, from the tcp_info of each connection
   * waiting in an accept queue (native/childinfo.c; asked with TCP_TABLE_WAITS). Missing in an addon built before it.
   */
  acceptWaits?: Uint32Array;
  /** Waiting connections not looked up: over the addon's bound (16384 per namespace; an even sample was). */
  acceptWaitsSkipped?: number;
  /** Looked up but gone or changed since the dump (accepted, reset). */
  acceptWaitsGone?: number;
  /** Why the lookups stopped ("recv: …"), or null when every answer came. */
  acceptWaitsError?: string | null;
  /** With TCP_TABLE_RAW: the raw lookup replies, ended by NLMSG_DONE (what a capture stores). */
  waitBytes?: Buffer;
}

/** tcpDiagTable / netnsReadAsync flags: look up the waits of connections in accept queues (the default). */
export const TCP_TABLE_WAITS = 1;
/** tcpDiagTable flag: also return the lookups' raw replies as `waitBytes`. */
export const TCP_TABLE_RAW = 2;
/** tcpDiagTable / netnsReadAsync flag: one request of every state, no extensions: no drops, no waits (native/tcptable.h). */
export const TCP_TABLE_PLAIN = 4;

/**
 * The flags of sockdoc's own dumps: TCP_TABLE_PLAIN when SOCKDOC_LISTENER_EXTRAS=off, which the
 * benchmark sets to measure what the drops and waits cost (docs/benchmarks.md); else the waits.
 */
export function dumpFlags(env: NodeJS.ProcessEnv = process.env): number {
  return env.SOCKDOC_LISTENER_EXTRAS === 'off' ? TCP_TABLE_PLAIN : TCP_TABLE_WAITS;
}
/**
 * netnsReadAsync flag: a namespace whose sockstat counts no socket at all (no socket a program made,
 * no TCP socket, none in TIME_WAIT) is entered and that file read, nothing else: `empty` (native/netns.c).
 */
export const NETNS_SKIP_EMPTY = 8;
/** idiag_ext bit of INET_DIAG_SKMEMINFO (include/uapi/linux/inet_diag.h: bit INET_DIAG_SKMEMINFO - 1). */
export const EXT_SKMEMINFO = 1 << (7 - 1);

/** What native/netns.c returns for one namespace file. */
export interface NativeNetnsRead {
  /** 0, or the errno of step `what` ("open", "setns", or a step of the dump). */
  errno: number;
  what: string;
  /** Every TCP socket of the namespace; null when it could not be entered or the dump failed. */
  table: NativeTcpTable | null;
  /** Per file asked: its text, or -errno (every entry is -errno of setns when it could not be entered); null: not read (`empty`). */
  files: Array<string | number | null>;
  /** With NETNS_SKIP_EMPTY: its sockstat counted no socket, and nothing else was read. Absent from an addon built before it. */
  empty?: boolean;
  /**
   * Inode of the namespace the opened path named (0: not opened). With expected inodes given, a
   * different one is not entered: errno ESTALE, what "inode". Absent from an addon built before it.
   */
  inode?: number;
}

/** What native/procread.c returns: every file's bytes in one buffer, and where each is. */
export interface NativeProcFiles {
  data: Buffer;
  /** Two entries per (pid, file), pid-major in the order asked: offset into data and length, or (0, -errno). */
  index: Int32Array;
  /** Wall time of the read in ms (it overlaps the JavaScript thread's own reads). */
  ms: number;
}

/** What the native addon exports. */
export interface NativeAddon {
  /** Raw netlink reply of a SOCK_DIAG_BY_FAMILY dump, NLMSG_DONE included; `ext`: idiag_ext bits. Throws with errno. */
  inetDiagDump(family: number, protocol: number, statesMask: number, ext?: number): Buffer;
  /** Raw reply of a unix_diag dump (AF_UNIX) of the caller's namespace, NLMSG_DONE included. Missing in an addon built before it. */
  unixDiagDump?(statesMask: number, show: number): Buffer;
  /**
   * Every TCP socket in a state of statesMask (listeners first, with their drops); `flags`
   * TCP_TABLE_WAITS (default) | TCP_TABLE_RAW. Missing in an addon built before it.
   */
  tcpDiagTable?(statesMask: number, flags?: number): NativeTcpTable;
  /**
   * Walks PROC_DIR/PID/fd for every pid, on up to 4 threads. With `bpfLink` (from bpfFdIterOpen)
   * the BPF iterator reports every fd first and only the pids it did not report are walked.
   * Missing in an addon built before it.
   */
  fdWalk?(procDir: string, pids: Int32Array, bpfLink?: number): NativeFdWalk;
  /** The same on a libuv worker thread, so JavaScript can read other files meanwhile. */
  fdWalkAsync?(procDir: string, pids: Int32Array, bpfLink?: number): Promise<NativeFdWalk>;
  /**
   * Reads PROC_DIR/PID/FILE for every pid and file (plain names: "stat", "status"...) on up to 4
   * threads of its own: O_NOFOLLOW, O_NONBLOCK, at most `cap` bytes each (EFBIG beyond); of a file
   * whose `keep` entry lists line prefixes, only the lines starting with one. Missing in an addon
   * built before it.
   */
  procFilesAsync?(procDir: string, pids: Int32Array, files: string[], cap: number, keep: Array<string[] | null>): Promise<NativeProcFiles>;
  /**
   * The network namespace of each pid from procDir/PID/ns/net (native/procread.c), read on the
   * addon's threads, returned when all are read: per pid the inode (> 0) or -errno. Absent in an
   * addon built before it.
   */
  pidNetns?(procDir: string, pids: Int32Array): Float64Array;
  /**
   * Loads the BPF task_file iterator (native/bpffds.c) and returns its link's fd. Throws an Error
   * whose code is the errno name and whose message names the step ("bpf(BPF_PROG_LOAD): Operation
   * not permitted"). Needs CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN) and /sys/kernel/btf/vmlinux.
   */
  bpfFdIterOpen?(): number;
  /** Closes a link fd from bpfFdIterOpen. */
  bpfFdIterClose?(fd: number): void;
  /**
   * For each namespace file, on threads of its own: setns(CLONE_NEWNET), the TCP dump of
   * statesMask (none when 0; `flags` as tcpDiagTable's), then each of `files` read from inside
   * ("sock_diag:tcp-listen": the raw LISTEN dump with drops; "sock_diag:tcp-waiting": the raw
   * lookup replies of the dump's waiting connections; "sock_diag:unix": the raw unix_diag dump).
   * `inodes` (null: none) gives per path the
   * namespace inode discovered (0: no check): the fd entered must have it, else nothing is entered
   * (errno ESTALE, what "inode"). Missing in an addon built before it.
   */
  netnsReadAsync?(paths: string[], statesMask: number, files: string[], inodes?: number[] | null, flags?: number): Promise<NativeNetnsRead[]>;
  /**
   * For each user namespace file (/proc/PID/ns/user): its inode, owner uid and parent's inode (nsfs
   * ioctls, native/userns.c); -1 where unknown, errno of the open. Missing in an addon built before it.
   */
  userNsInfo?(paths: string[]): Array<{ inode: number; owner: number; parent: number; errno: number }>;
  /**
   * The uid of the TCP socket whose local end is client:clientPort and remote end server:serverPort
   * (a client of ours in this network namespace), or -errno (-ENOENT: no such established socket).
   * Addresses as 4 or 16 network-order bytes. Missing in an addon built before it.
   */
  inetDiagPeerUid?(family: number, client: Buffer, clientPort: number, server: Buffer, serverPort: number): number;
  /**
   * For each (pid, fd, inode) triple: the socket's network namespace inode and family, asked of the
   * socket itself (pidfd_getfd + SIOCGSKNS, native/socknetns.c); the fd of each namespace met that is
   * not in `known` is kept open for the caller to read and close, for at most `maxKeep` namespaces
   * (beyond, -2). Missing in an addon built before it.
   */
  socketNetnsAsync?(leads: Float64Array, known: Float64Array, maxKeep: number): Promise<{ results: Float64Array; nsFds: Int32Array; ms: number }>;
  /** Closes the namespace fds socketNetnsAsync kept (not through Node's fs: they were not opened through it). */
  closeNetnsFds?(fds: Int32Array): void;
  /** malloc_trim(0): gives the C heap's free pages back to the system (native/heap.c); true when some were. Missing in an addon built before it. */
  mallocTrim?(): boolean;
  /** mallinfo2(3) over every arena, or null where malloc is not glibc's (>= 2.33). Missing in an addon built before it. */
  mallocStats?(): MallocStats | null;
  /** mallopt(3) M_ARENA_MAX and M_MMAP_THRESHOLD (0 leaves one as is); true when glibc took them. Missing in an addon built before it. */
  mallocLimits?(arenaMax: number, mmapThreshold: number): boolean;
}

/** What native/heap.c's mallocStats returns: the C heap of the whole process (every thread's arena). */
export interface MallocStats {
  /** Taken from the system for arenas (brk and arena heaps). */
  arenaBytes: number;
  /** Large blocks mmap'd one by one. */
  mmapBytes: number;
  /** Allocated and not freed (mmap'd blocks included). */
  usedBytes: number;
  /** Free inside the arenas: what malloc_trim may give back. */
  freeBytes: number;
}

/** The compiled addon, relative to this module's place in dist/src/probe/. */
export const ADDON_PATH = fileURLToPath(new URL('../../../native/build/Release/sockdoc_native.node', import.meta.url));

/** Loads the native addon; throws when it was not built or cannot load on this host. */
export function loadNativeAddon(path = ADDON_PATH): NativeAddon {
  const require = createRequire(import.meta.url);
  const addon = require(path) as Partial<NativeAddon>;
  if (typeof addon.inetDiagDump !== 'function') throw new Error(`${path} does not export inetDiagDump`);
  return addon as NativeAddon;
}

/** The addon when it loads and has the fd walk, else null (the caller uses the JavaScript walk). */
export function nativeFdWalker(path = ADDON_PATH): Required<Pick<NativeAddon, 'fdWalk' | 'fdWalkAsync'>> | null {
  try {
    const addon = loadNativeAddon(path);
    if (typeof addon.fdWalk !== 'function' || typeof addon.fdWalkAsync !== 'function') return null;
    return addon as Required<NativeAddon>;
  } catch (err) {
    // Not built, or built for another Node ABI: the JavaScript walk gives the same answer, slower.
    void err;
    return null;
  }
}
