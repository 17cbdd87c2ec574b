/**
 * inotify instances and their watches, per process: the fd walk finds the instances (links reading
 * "anon_inode:inotify"); /proc/PID/fdinfo/FD of each lists one line per watch
 * (fs/notify/fdinfo.c inotify_fdinfo: "inotify wd:%x ino:%lx sdev:%x mask:%x ignored_mask:%x ...").
 * Only those fds are read: a host has a few hundred inotify instances, not 100k.
 *
 * Instances and watches count against fs.inotify.max_user_instances / max_user_watches per user
 * (kernel/ucount.c: charged to the creator's euid in its user namespace, and to the owner of that
 * namespace in each parent), so the user namespace of each holder is read too (/proc/PID/ns/user,
 * "user:[INODE]"), only for holders.
 */
import { outcomeOf, readLinkUnder, readUnder } from './read-file.js';

const WATCH_LINE = 'inotify wd:';

/**
 * Watches of one inotify instance: its fdinfo's "inotify wd:" lines.
 * @example countInotifyWatches('pos:\t0\nflags:\t02004000\ninotify wd:1 ino:2 sdev:3 mask:fc6 ...\n') // 1
 */
export function countInotifyWatches(fdinfo: string): number {
  let n = 0;
  for (let at = fdinfo.indexOf(WATCH_LINE); at >= 0; at = fdinfo.indexOf(WATCH_LINE, at + WATCH_LINE.length)) {
    if (at === 0 || fdinfo.charCodeAt(at - 1) === 10) n++;
  }
  return n;
}

/** What a process holds: its inotify instances and their watches (null when some fdinfo could not be read). */
export interface InotifyUse {
  instances: number;
  watches: number | null;
}

/**
 * The watches of `fds` (inotify instances of `pid`), from their fdinfo. An fd closed since the
 * walk is no longer an instance; one that cannot be read leaves the watch count unknown.
 */
export function readInotifyUse(root: string, pid: number, fds: readonly number[]): InotifyUse {
  let instances = 0;
  let watches: number | null = 0;
  for (const fd of fds) {
    try {
      const text = readUnder(root, `proc/${pid}/fdinfo/${fd}`, 'proc');
      instances++;
      if (watches !== null) watches += countInotifyWatches(text);
    } catch (err) {
      if (outcomeOf(err) === 'absent') continue; // closed since the walk
      instances++;
      watches = null;
    }
  }
  return { instances, watches };
}

/**
 * The inode of a user namespace link target "user:[4026531837]", or null for anything else.
 * @example parseUsernsLink('user:[4026531837]') // 4026531837
 */
export function parseUsernsLink(target: string): number | null {
  const m = /^user:\[(\d{1,20})\]$/.exec(target);
  const n = m ? Number(m[1]) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** Inode of ROOT/proc/PID/ns/user; null when gone, refused or malformed (a capture that did not record it). */
export function readPidUserns(root: string, pid: number | 'self'): number | null {
  try {
    return parseUsernsLink(readLinkUnder(root, `proc/${pid}/ns/user`));
  } catch (err) {
    void err; // unknown: the caller treats the process as in the initial user namespace and says so
    return null;
  }
}
