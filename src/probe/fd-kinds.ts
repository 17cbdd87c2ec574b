/**
 * What a process's open files are: the kinds the fd walk tells apart (native/fdkind.h, mirrored here
 * for the JavaScript walk and the readers of its counts), and the socket families the snapshot
 * splits sockets into afterwards by their inodes.
 *
 * The walk sees a link target per fd (fs/proc/fd.c proc_fd_link): "socket:[N]", "pipe:[N]",
 * "anon_inode:NAME" (fs/anon_inodes.c: "[eventpoll]", "[eventfd]", "inotify", "[timerfd]",
 * "[signalfd]", "[pidfd]", "[io_uring]", ...), a namespace "net:[N]", or a path (a device under /dev,
 * else a file). A socket's family is not in its link: the snapshot finds its inode in the TCP and
 * unix-domain tables it read, else in /proc/PID/net/{udp,udp6,raw,raw6,netlink,packet}.
 */

import { WALK_KINDS, type FdKind, type WalkKind } from '../snapshot/types.js';

export { FD_KINDS, SOCKET_KINDS, WALK_KINDS, type FdKind, type FdKindCounts, type SocketKind, type WalkKind } from '../snapshot/types.js';

/** Index of each walk kind, for the JavaScript walk's counts. */
export const WALK_KIND_INDEX: Readonly<Record<WalkKind, number>> = Object.fromEntries(WALK_KINDS.map((k, i) => [k, i])) as Record<WalkKind, number>;

const ANON: Readonly<Record<string, WalkKind>> = {
  '[eventpoll]': 'eventpoll',
  '[eventfd]': 'eventfd',
  inotify: 'inotify',
  '[timerfd]': 'timerfd',
  '[signalfd]': 'signalfd',
  '[pidfd]': 'pidfd',
  '[io_uring]': 'io_uring',
};

/**
 * The kind of a /proc/PID/fd link target, as native/fdkind.h fdkind_of_target tells it.
 * @example fdKindOfTarget('anon_inode:[eventpoll]') // 'eventpoll'
 */
export function fdKindOfTarget(target: string): WalkKind {
  if (target.length === 0) return 'other';
  if (target.charCodeAt(0) === 47 /* / */) {
    const dev = target.startsWith('/dev/') && !target.startsWith('/dev/shm/') && !target.startsWith('/dev/mqueue/') && !target.startsWith('/dev/hugepages/');
    return dev ? 'device' : 'file';
  }
  if (target.startsWith('socket:[')) return 'socket';
  if (target.startsWith('pipe:[')) return 'pipe';
  if (target.startsWith('anon_inode:')) return ANON[target.slice(11)] ?? 'anon';
  return 'other';
}

/** Plain words for a kind, for sentences ("4,088 of 4,096 are eventpoll instances"). */
export const FD_KIND_WORDS: Readonly<Record<FdKind, string>> = {
  tcp: 'TCP sockets',
  udp: 'UDP sockets',
  unix: 'unix-domain sockets',
  netlink: 'netlink sockets',
  raw: 'raw sockets',
  packet: 'packet sockets',
  socket: 'sockets of another family, or never bound nor connected (in no table)',
  pipe: 'pipes',
  eventpoll: 'epoll instances (eventpoll)',
  eventfd: 'eventfds',
  inotify: 'inotify instances',
  timerfd: 'timerfds',
  signalfd: 'signalfds',
  pidfd: 'pidfds',
  io_uring: 'io_uring instances',
  anon: 'other anonymous inodes (perf, bpf, fanotify, userfaultfd...)',
  file: 'regular files and directories',
  device: 'devices',
  other: 'namespace and other special files',
  unknown: 'fds whose target could not be read',
};
