/**
 * The network namespace of a socket another process holds, asked of the socket itself: the addon
 * (native/socknetns.c) duplicates it with pidfd_getfd (Linux 5.6; needs ptrace-attach rights over the
 * holder: root, or the holder's own user where Yama allows), asks ioctl(SIOCGSKNS) (Linux 4.9; needs
 * CAP_NET_ADMIN over the namespace) for its namespace and getsockopt(SO_DOMAIN/SO_TYPE/SO_PROTOCOL)
 * for its family, and closes the duplicate at once. A namespace not already known is handed back as
 * an open fd, so it can be read through /proc/self/fd/N even when no process is in it and no name
 * holds it; the caller closes it (closeNetnsFds).
 *
 * Only live: a capture holds no process to ask.
 */
import { closeSync } from 'node:fs';
import { constants } from 'node:os';
import { ADDON_PATH, loadNativeAddon } from './native.js';
import { describeError } from './read-file.js';
import type { SocketKind } from '../snapshot/types.js';

/** A socket fd the walk saw whose socket no table read holds. */
export interface SocketLead {
  inode: number;
  pid: number;
  fd: number;
}

/** What asking one socket gave. */
export interface SocketNetns extends SocketLead {
  /** Its network namespace's inode; null when it could not be asked (see `error`). */
  netns: number | null;
  /** Its family as sockdoc counts fds; null when unknown. */
  family: SocketKind | null;
  /** An fd of its namespace, open in sockdoc, for the first socket met in a namespace not known before; else null. */
  nsFd: number | null;
  /** The first socket met in a namespace not known before, beyond `maxKeep`: its namespace was not kept for reading. */
  unkept: boolean;
  /** Why it could not be asked ("pidfd_getfd: EPERM"), or null. */
  error: string | null;
  /** The process exited or closed that fd since the walk: nothing to ask, nothing missed. */
  gone: boolean;
}

/** native/socknetns.c's steps (SN_STEP_*), for the error text. */
const STEPS = ['found', 'pidfd_open', 'pidfd_getfd', 'fstat', 'inode', 'getsockopt', 'SIOCGSKNS', 'fstat of its namespace'];
const WORDS = 6;

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));
const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;
const AF_NETLINK = 16;
const AF_PACKET = 17;
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
const SOCK_RAW = 3;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_UDPLITE = 136;

/**
 * A socket's family as sockdoc counts fds, from SO_DOMAIN, SO_TYPE and SO_PROTOCOL (man 7 socket):
 * IPv4/IPv6 stream TCP, datagram UDP (and UDP-Lite), raw; unix; netlink; packet; anything else
 * (SCTP, MPTCP, vsock, ...) is "socket".
 * @example socketFamily(2, 1, 6) // 'tcp'
 */
export function socketFamily(domain: number, type: number, protocol: number): SocketKind {
  if (domain === AF_UNIX) return 'unix';
  if (domain === AF_NETLINK) return 'netlink';
  if (domain === AF_PACKET) return 'packet';
  if (domain !== AF_INET && domain !== AF_INET6) return 'socket';
  if (type === SOCK_STREAM && protocol === IPPROTO_TCP) return 'tcp';
  if (type === SOCK_DGRAM && (protocol === IPPROTO_UDP || protocol === IPPROTO_UDPLITE)) return 'udp';
  if (type === SOCK_RAW) return 'raw';
  return 'socket';
}

/** Parses the addon's answer (RESULT_WORDS per lead, nsFds) into one record per lead. */
export function parseSocketNetns(leads: readonly SocketLead[], results: Float64Array, nsFds: Int32Array): SocketNetns[] {
  return leads.map((lead, k) => {
    const [errno, step, domain, type, protocol, netns] = results.subarray(k * WORDS, k * WORDS + WORDS);
    const known = domain !== 0 || type !== 0;
    // ESRCH: the process exited; EBADF: it closed the fd; ESTALE at "inode": the fd now holds another file.
    const gone = (step === 1 && errno === constants.errno.ESRCH) || (step === 2 && (errno === constants.errno.EBADF || errno === constants.errno.ESRCH)) || step === 4;
    return {
      ...lead,
      netns: errno === 0 && netns > 0 ? netns : null,
      family: known ? socketFamily(domain, type, protocol) : null,
      nsFd: nsFds[k] >= 0 ? nsFds[k] : null,
      unkept: nsFds[k] === -2,
      error: errno === 0 ? null : `${STEPS[step] ?? `step ${step}`}: ${ERRNO_NAMES.get(errno) ?? `errno ${errno}`}`,
      gone,
    };
  });
}

/** What the lookups gave, or why none was made. */
export type SocketNetnsLookup = { found: SocketNetns[]; ms: number } | { unavailable: string };

/**
 * Asks each lead's socket for its namespace (at most as many as given: the caller bounds them).
 * `known`: namespaces already read, whose fds are not kept; at most `maxKeep` new namespaces are
 * kept open. Never throws: an addon that is missing or older gives `unavailable`.
 */
export async function lookUpSocketNetns(leads: readonly SocketLead[], known: Iterable<number>, maxKeep: number, addonPath = ADDON_PATH): Promise<SocketNetnsLookup> {
  let addon;
  try {
    addon = loadNativeAddon(addonPath);
  } catch (err) {
    return { unavailable: `the native module is not available (${describeError(err)})` };
  }
  if (typeof addon.socketNetnsAsync !== 'function') return { unavailable: 'the native module is older than the socket lookup (rebuild it: npm run build)' };
  // One pidfd per run of leads of one pid: ordered by pid.
  const ordered = [...leads].sort((a, b) => a.pid - b.pid || a.fd - b.fd);
  const triples = new Float64Array(ordered.length * 3);
  ordered.forEach((l, k) => triples.set([l.pid, l.fd, l.inode], k * 3));
  try {
    const r = await addon.socketNetnsAsync(triples, Float64Array.from(known), maxKeep);
    return { found: parseSocketNetns(ordered, r.results, r.nsFds), ms: r.ms };
  } catch (err) {
    return { unavailable: `the socket lookup failed (${describeError(err)})` };
  }
}

/**
 * Closes the namespace fds a lookup kept, in the addon that opened them (Node's fs.closeSync on an fd
 * it did not open warns in a worker thread, serve's scrape: "closed but not opened in unmanaged mode").
 */
export function closeNetnsFds(found: readonly SocketNetns[], addonPath = ADDON_PATH): void {
  const fds = Int32Array.from(found.flatMap((f) => (f.nsFd === null ? [] : [f.nsFd])));
  if (fds.length === 0) return;
  const addon = loadNativeAddon(addonPath);
  if (typeof addon.closeNetnsFds === 'function') addon.closeNetnsFds(fds);
  else for (const fd of fds) closeFallback(fd);
}

/** An addon older than closeNetnsFds (it cannot have made these fds); kept for the type's sake. */
function closeFallback(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed: nothing held
  }
}
