/**
 * The /proc/PID/fd walk of many processes at once, in one shape whichever does it: the native addon
 * (native/fdwalk.c: readlinkat relative to the open directory, pids shared by several threads) or
 * readPidFds in JavaScript, the fallback when the addon is not built. Both give the same answer;
 * src/probe/fd-walk.test.ts holds them to it.
 *
 * Measured here (Linux 6.18, 2 CPUs, 60k socket fds in 8 processes): JavaScript 5-6 µs per fd;
 * native ~2 µs per fd on 2 threads, ~3.8 µs on one (nearly all kernel time: readlink of procfs).
 * On the live host as root, a BPF task_file iterator (bpf-fd-link.ts) can list every fd in one
 * kernel pass instead (~0.6 µs per fd); the addon then walks /proc only for the pids it did not
 * report. Same answer: src/probe/fd-walk.test.ts holds all three to it.
 */
import { statSync } from 'node:fs';
import { constants } from 'node:os';
import { readPidFds } from './pid-fd.js';
import { WALK_KINDS } from './fd-kinds.js';
import { FD_DIR_DENIED, FD_REFUSED, nativeFdWalker, type NativeFdWalk } from './native.js';
import { under } from './read-file.js';
import { mayLoadBpf, openBpfFdLink, type BpfFdLink } from './bpf-fd-link.js';

export interface FdWalk {
  /** 'bpf': the BPF iterator listed the fds (and the addon walked /proc for the pids it did not report). */
  source: 'native' | 'js' | 'bpf';
  /** Why the BPF iterator, when tried, did not answer; the walk then read /proc. Else null. */
  bpfError: string | null;
  /** Per pid in the order asked: open fds; null when the directory was refused or the walk failed. */
  counts: Array<number | null>;
  /** Per pid: permission was refused for the directory or some of its links. */
  denied: boolean[];
  /** Per pid: the error that stopped its walk (ENOENT: the process exited), else null. */
  errors: Array<NodeJS.ErrnoException | null>;
  /** (pid, fd, inode) triples: pids in the order asked, fds ascending; none for a failed pid. */
  sockets: ArrayLike<number>;
  /** Per pid in the order asked, WALK_KINDS.length counts (src/probe/fd-kinds.ts); null when the walker could not tell (an addon built before kinds). */
  kinds: Uint32Array | null;
  /** (pid, fd) pairs of every inotify instance found. */
  inotify: ArrayLike<number>;
  /** Wall time of a native walk, which may have overlapped other reads; null for the JavaScript one. */
  ms: number | null;
}

/** 'auto': native when the addon loads, else JavaScript. 'native' throws without the addon (tests). */
export type FdWalkMode = 'auto' | 'native' | 'js';

/**
 * Whether the native walk lists fds through the BPF iterator: a link (kept open by a long-running
 * caller), 'auto' (a one-shot link when root on the live host holds at least BPF_MIN_FDS fds), or 'off'.
 */
export type BpfChoice = BpfFdLink | 'auto' | 'off' | { off: string };

/**
 * Below this many open fds a one-shot iterator costs more than it saves: loading it (reading the
 * kernel's BTF) costs ~50 ms once, the readlink walk ~4.9 µs per fd and the iterator ~0.6 (break-even
 * near 12k fds, measured on Linux 6.18, 2 CPUs).
 */
export const BPF_MIN_FDS = 12_000;

/**
 * Open fds of the live host's processes, from the size of each /proc/PID/fd (the number of open
 * files since Linux 6.2, fs/proc/fd.c proc_fd_getattr; 0 before). A cheap guess to decide on the
 * iterator, never a reported number.
 */
function estimateOpenFds(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    if (total >= BPF_MIN_FDS) break; // enough to decide: the rest need not be looked at
    try {
      total += statSync(`/proc/${pid}/fd`).size;
    } catch {
      // Exited or refused: the walk will say so; the guess only decides who walks.
    }
  }
  return total;
}

/**
 * SOCKDOC_FD_SOURCE: unset, `auto` or `bpf` let sockdoc load the BPF iterator; any other value
 * (`proc`, `off`, `0`, a typo) keeps it out: an operator who set it meant "no".
 * Returns why it is off ("SOCKDOC_FD_SOURCE=off"), or null.
 */
export function bpfRefusedByEnvironment(): string | null {
  const raw = process.env.SOCKDOC_FD_SOURCE;
  const v = (raw ?? '').trim().toLowerCase();
  return v === '' || v === 'auto' || v === 'bpf' ? null : `turned off by SOCKDOC_FD_SOURCE=${JSON.stringify(raw)}`;
}

/** Why the iterator is not even tried for lack of privilege: CapEff has neither CAP_SYS_ADMIN nor CAP_BPF + CAP_PERFMON. */
const NOT_PERMITTED = 'not permitted: needs CAP_SYS_ADMIN, or CAP_BPF and CAP_PERFMON';

/** Why this process must not try to load the iterator (SOCKDOC_FD_SOURCE, capabilities), or null. */
export function whyNoBpf(): string | null {
  return bpfRefusedByEnvironment() ?? (mayLoadBpf() ? null : NOT_PERMITTED);
}

/** The link to use for this walk, and whether it is a one-shot to close after it. */
function chooseBpf(root: string, pids: readonly number[], mode: FdWalkMode, choice: BpfChoice): { link: BpfFdLink | null; oneShot: boolean; error: string | null } {
  const none = { link: null, oneShot: false, error: null };
  if (root !== '/' || mode === 'js' || choice === 'off') return none;
  // SOCKDOC_FD_SOURCE=proc: a host whose policy forbids loading BPF programs (each load is an audit
  // event) gets the /proc walk everywhere, serve included.
  const refused = bpfRefusedByEnvironment();
  if (refused) return { ...none, error: refused };
  if (typeof choice === 'object') return 'off' in choice ? { ...none, error: choice.off } : { link: choice, oneShot: false, error: null };
  if (mode !== 'auto' || estimateOpenFds(pids) < BPF_MIN_FDS) return none;
  if (!mayLoadBpf()) return { ...none, error: NOT_PERMITTED };
  const opened = openBpfFdLink();
  return opened.link ? { link: opened.link, oneShot: true, error: null } : { link: null, oneShot: false, error: opened.error };
}

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));

/** An error shaped like the one Node's fs would have thrown for this path (a native reader's -errno). */
export function errnoError(errno: number, path: string, syscall = 'readlink'): NodeJS.ErrnoException {
  const code = ERRNO_NAMES.get(errno) ?? 'EUNKNOWN';
  return Object.assign(new Error(`${code}: ${path}`), { code, errno: -errno, path, syscall });
}

/** readPidFds for each pid, reshaped. Errors are kept per pid, never thrown. */
export function walkFdsJs(root: string, pids: readonly number[]): FdWalk {
  const kinds = new Uint32Array(pids.length * WALK_KINDS.length);
  const walk: FdWalk = { source: 'js', bpfError: null, counts: [], denied: [], errors: [], sockets: [], kinds, inotify: [], ms: null };
  const sockets: number[] = [];
  const inotify: number[] = [];
  for (let i = 0; i < pids.length; i++) {
    const pid = pids[i];
    try {
      const fds = readPidFds(root, pid);
      walk.counts.push(fds.count);
      walk.denied.push(fds.denied);
      walk.errors.push(null);
      for (const [fd, inode] of fds.sockets) sockets.push(pid, fd, inode);
      kinds.set(fds.kinds, i * WALK_KINDS.length);
      for (const fd of fds.inotify) inotify.push(pid, fd);
    } catch (err) {
      walk.counts.push(null);
      walk.denied.push(false);
      walk.errors.push(err as NodeJS.ErrnoException);
    }
  }
  walk.sockets = sockets;
  walk.inotify = inotify;
  return walk;
}

/** The addon's typed arrays in the shape of walkFdsJs. */
export function fromNative(root: string, pids: readonly number[], raw: NativeFdWalk): FdWalk {
  const walk: FdWalk = {
    source: raw.bpf ? 'bpf' : 'native',
    bpfError: raw.bpfError ?? null,
    counts: [],
    denied: [],
    errors: [],
    sockets: raw.sockets,
    kinds: raw.kinds && raw.kinds.length === pids.length * WALK_KINDS.length ? raw.kinds : null,
    inotify: raw.inotify ?? [],
    ms: raw.ms,
  };
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
export function walkFds(root: string, pids: readonly number[], mode: FdWalkMode = 'auto', bpf: BpfChoice = 'auto'): FdWalk {
  // A capture is walked in JavaScript, whose directory resolution is confined to the root; the addon
  // opens ROOT/proc/PID/fd as the kernel resolves it. Captures are small; the live host is not.
  const native = mode === 'auto' && root !== '/' ? null : walker(mode);
  if (!native) return walkFdsJs(root, pids);
  const use = chooseBpf(root, pids, mode, bpf);
  try {
    const walk = fromNative(root, pids, native.fdWalk(under(root, 'proc'), Int32Array.from(pids), use.link?.fd));
    walk.bpfError ??= use.error;
    return walk;
  } finally {
    if (use.oneShot) use.link?.close();
  }
}

/**
 * Starts the walk on a worker thread when the addon is there; the caller does other reads and then
 * awaits. Without the addon it returns null and the caller walks synchronously later.
 */
export function startFdWalk(root: string, pids: readonly number[], mode: FdWalkMode = 'auto', bpf: BpfChoice = 'auto'): Promise<FdWalk> | null {
  const native = walker(mode);
  if (!native) return null;
  const asked = [...pids];
  const use = chooseBpf(root, asked, mode, bpf);
  const done = () => {
    if (use.oneShot) use.link?.close();
  };
  return native.fdWalkAsync(under(root, 'proc'), Int32Array.from(asked), use.link?.fd).then(
    (raw) => {
      done();
      const walk = fromNative(root, asked, raw);
      walk.bpfError ??= use.error;
      return walk;
    },
    // Only when the addon could not build its result (out of memory): the JavaScript walk still answers.
    () => {
      done();
      return walkFdsJs(root, asked);
    },
  );
}
