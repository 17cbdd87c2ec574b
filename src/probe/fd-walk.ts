/**
 * The /proc/PID/fd walk of many processes at once, in one shape whichever does it: the native addon
 * (native/fdwalk.c: readlinkat relative to the open directory, pids shared by several threads) or
 * readPidFds in JavaScript, the fallback when the addon is not built. Both give the same answer;
 * src/probe/fd-walk.test.ts holds them to it.
 *
 * Measured here (Linux 6.18, 2 CPUs, 60k socket fds in 8 processes): JavaScript 5-6 µs per fd;
 * native ~2 µs per fd on 2 threads, ~3.8 µs on one (nearly all kernel time: readlink of procfs).
 */
import { constants } from 'node:os';
import { readPidFds } from './pid-fd.js';
import { FD_DIR_DENIED, FD_REFUSED, nativeFdWalker, type NativeFdWalk } from './native.js';
import { under } from './read-file.js';

export interface FdWalk {
  source: 'native' | 'js';
  /** Per pid in the order asked: open fds; null when the directory was refused or the walk failed. */
  counts: Array<number | null>;
  /** Per pid: permission was refused for the directory or some of its links. */
  denied: boolean[];
  /** Per pid: the error that stopped its walk (ENOENT: the process exited), else null. */
  errors: Array<NodeJS.ErrnoException | null>;
  /** (pid, fd, inode) triples: pids in the order asked, fds ascending; none for a failed pid. */
  sockets: ArrayLike<number>;
  /** Wall time of a native walk, which may have overlapped other reads; null for the JavaScript one. */
  ms: number | null;
}

/** 'auto': native when the addon loads, else JavaScript. 'native' throws without the addon (tests). */
export type FdWalkMode = 'auto' | 'native' | 'js';

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));

/** An error shaped like the one Node's fs would have thrown for this directory. */
function errnoError(errno: number, path: string): NodeJS.ErrnoException {
  const code = ERRNO_NAMES.get(errno) ?? 'EUNKNOWN';
  return Object.assign(new Error(`${code}: ${path}`), { code, errno: -errno, path, syscall: 'readlink' });
}

/** readPidFds for each pid, reshaped. Errors are kept per pid, never thrown. */
export function walkFdsJs(root: string, pids: readonly number[]): FdWalk {
  const walk: FdWalk = { source: 'js', counts: [], denied: [], errors: [], sockets: [], ms: null };
  const sockets: number[] = [];
  for (const pid of pids) {
    try {
      const fds = readPidFds(root, pid);
      walk.counts.push(fds.count);
      walk.denied.push(fds.denied);
      walk.errors.push(null);
      for (const [fd, inode] of fds.sockets) sockets.push(pid, fd, inode);
    } catch (err) {
      walk.counts.push(null);
      walk.denied.push(false);
      walk.errors.push(err as NodeJS.ErrnoException);
    }
  }
  walk.sockets = sockets;
  return walk;
}

/** The addon's typed arrays in the shape of walkFdsJs. */
export function fromNative(root: string, pids: readonly number[], raw: NativeFdWalk): FdWalk {
  const walk: FdWalk = { source: 'native', counts: [], denied: [], errors: [], sockets: raw.sockets, ms: raw.ms };
  for (let i = 0; i < pids.length; i++) {
    const status = raw.status[i];
    const flags = raw.flags[i];
    const dirDenied = (flags & FD_DIR_DENIED) !== 0;
    walk.counts.push(status < 0 || dirDenied ? null : status);
    walk.denied.push(status >= 0 && (dirDenied || (flags & FD_REFUSED) !== 0));
    walk.errors.push(status < 0 ? errnoError(-status, under(root, 'proc', String(pids[i]), 'fd')) : null);
  }
  return walk;
}

function walker(mode: FdWalkMode) {
  if (mode === 'js') return null;
  const native = nativeFdWalker();
  if (!native && mode === 'native') throw new Error('the native fd walk is not available (native/build not built?)');
  return native;
}

/** Walks the fd directories of `pids` under ROOT/proc. */
export function walkFds(root: string, pids: readonly number[], mode: FdWalkMode = 'auto'): FdWalk {
  // A capture is walked in JavaScript, whose directory resolution is confined to the root; the addon
  // opens ROOT/proc/PID/fd as the kernel resolves it. Captures are small; the live host is not.
  const native = mode === 'auto' && root !== '/' ? null : walker(mode);
  if (!native) return walkFdsJs(root, pids);
  return fromNative(root, pids, native.fdWalk(under(root, 'proc'), Int32Array.from(pids)));
}

/**
 * Starts the walk on a worker thread when the addon is there; the caller does other reads and then
 * awaits. Without the addon it returns null and the caller walks synchronously later.
 */
export function startFdWalk(root: string, pids: readonly number[], mode: FdWalkMode = 'auto'): Promise<FdWalk> | null {
  const native = walker(mode);
  if (!native) return null;
  const asked = [...pids];
  return native.fdWalkAsync(under(root, 'proc'), Int32Array.from(asked)).then(
    (raw) => fromNative(root, asked, raw),
    // Only when the addon could not build its result (out of memory): the JavaScript walk still answers.
    () => walkFdsJs(root, asked),
  );
}
