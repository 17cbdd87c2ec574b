/**
 * User namespaces of the processes holding inotify instances, with their inotify limits.
 *
 * inotify_init1() charges one instance, and inotify_add_watch() one watch, to the caller's euid in
 * its user namespace, and to the owner of that namespace in each parent up to the initial one
 * (kernel/ucount.c inc_ucount: `for (iter = ucounts; iter; iter = tns->ucounts)`, each level against
 * its own `ucount_max`). Over a limit: EMFILE from inotify_init1 ("too many open files" with
 * RLIMIT_NOFILE nowhere near), ENOSPC from inotify_add_watch.
 * - The limits of a user namespace are /proc/sys/user/max_inotify_instances and max_inotify_watches
 *   as read from inside it (kernel/ucount.c set_lookup: current's namespace); in the initial one
 *   they are also fs.inotify.max_user_instances / max_user_watches. A new namespace starts at
 *   INT_MAX: only its parents' limits bind, unless someone inside lowered it.
 * - Live, the owner and parent come from the nsfs ioctls (native/userns.c), the limits of another
 *   namespace from `nsenter --user --target PID cat ...` (setns into a user namespace needs a
 *   single-threaded process: a child, not Node). A capture keeps them under ROOT/userns/INODE/.
 */
import { spawnSync } from 'node:child_process';
import { ADDON_PATH, loadNativeAddon } from './native.js';
import { describeError, readOptionalUnder, under } from './read-file.js';
import { readPidUserns } from './pid-inotify.js';
import type { ProbeReport, UserNamespace } from '../snapshot/types.js';

/** Where a capture keeps what was read of user namespace INODE. */
export const USERNS_DIR = 'userns';
const FILES = ['owner', 'parent', 'max_inotify_instances', 'max_inotify_watches'] as const;

/** A decimal file's value; null when absent or not a number. */
function numberAt(root: string, rel: string): number | null {
  let text: string | null;
  try {
    text = readOptionalUnder(root, rel, 'proc');
  } catch (err) {
    void err; // refused or broken: unknown
    return null;
  }
  const n = text === null ? NaN : Number(text.trim());
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** The limits of the reader's own user namespace: /proc/sys/user/*, else (before 4.9) fs.inotify.*. */
function ownLimits(root: string): Pick<UserNamespace, 'maxInotifyInstances' | 'maxInotifyWatches'> {
  return {
    maxInotifyInstances: numberAt(root, 'proc/sys/user/max_inotify_instances') ?? numberAt(root, 'proc/sys/fs/inotify/max_user_instances'),
    maxInotifyWatches: numberAt(root, 'proc/sys/user/max_inotify_watches') ?? numberAt(root, 'proc/sys/fs/inotify/max_user_watches'),
  };
}

/** Two numbers from `nsenter --user` into PID's user namespace; null values when it cannot. */
function limitsInside(pid: number): { values: Pick<UserNamespace, 'maxInotifyInstances' | 'maxInotifyWatches'>; error: string | null } {
  const r = spawnSync('nsenter', ['--user', `--target=${pid}`, '--preserve-credentials', 'cat', '/proc/sys/user/max_inotify_instances', '/proc/sys/user/max_inotify_watches'], {
    encoding: 'utf8',
    timeout: 5000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [a, b] = (r.stdout ?? '').trim().split(/\s+/).map(Number);
  if (r.status !== 0 || !Number.isSafeInteger(a) || !Number.isSafeInteger(b)) {
    const why = r.error ? r.error.message : (r.stderr ?? '').trim().split('\n')[0] || `exit ${r.status}`;
    return { values: { maxInotifyInstances: null, maxInotifyWatches: null }, error: `nsenter --user --target=${pid}: ${why}` };
  }
  return { values: { maxInotifyInstances: a, maxInotifyWatches: b }, error: null };
}

export interface UsernsRead {
  namespaces: UserNamespace[];
  reports: ProbeReport[];
  notes: string[];
}

/**
 * The user namespaces of `holders` (pid -> its user namespace inode, null when unknown) and their
 * parents as far as they can be seen, with limits, owners and parents; sockdoc's own first.
 */
export function readUserNamespaces(root: string, holders: ReadonlyMap<number, number | null>, opts: { addonPath?: string } = {}): UsernsRead {
  const t0 = performance.now();
  const notes: string[] = [];
  const live = root === '/';
  const ownInode = readPidUserns(root, 'self');
  const own: UserNamespace = { inode: ownInode ?? 0, own: true, owner: null, parent: null, ...ownLimits(root) };
  const out = new Map<number, UserNamespace>([[own.inode, own]]);
  const byNs = new Map<number, number>();
  for (const [pid, ns] of holders) if (ns !== null && ns !== own.inode && !byNs.has(ns)) byNs.set(ns, pid);
  let native: ReturnType<typeof loadNativeAddon> | null = null;
  if (live && byNs.size) {
    try {
      native = loadNativeAddon(opts.addonPath ?? ADDON_PATH);
    } catch (err) {
      notes.push(`The owners of user namespaces are unknown (native module: ${describeError(err).split('\n')[0]}): inotify use in a user namespace is not charged to its owner.`);
    }
  }
  const failed: string[] = [];
  for (const [inode, pid] of byNs) {
    const ns: UserNamespace = { inode, own: false, owner: null, parent: null, maxInotifyInstances: null, maxInotifyWatches: null };
    if (live) {
      const info = native?.userNsInfo?.([`/proc/${pid}/ns/user`])[0];
      if (info && info.errno === 0) {
        ns.owner = info.owner >= 0 ? info.owner : null;
        ns.parent = info.parent >= 0 ? info.parent : null;
      }
      const inside = limitsInside(pid);
      Object.assign(ns, inside.values);
      if (inside.error) failed.push(inside.error);
    } else {
      const [owner, parent, instances, watches] = FILES.map((f) => numberAt(root, `${USERNS_DIR}/${inode}/${f}`));
      Object.assign(ns, { owner, parent, maxInotifyInstances: instances, maxInotifyWatches: watches });
    }
    out.set(inode, ns);
  }
  if (failed.length) notes.push(`The inotify limits of ${failed.length} user namespace${failed.length === 1 ? '' : 's'} could not be read (first: ${failed[0]}): use in them is judged against their parents' limits only.`);
  const report: ProbeReport = { probe: 'userns', source: live ? '/proc/PID/ns/user (nsfs ioctls, nsenter --user)' : under(root, USERNS_DIR), status: failed.length ? 'partial' : 'ok', ms: performance.now() - t0 };
  return { namespaces: [...out.values()], reports: [report], notes };
}

/** The files a capture writes for one user namespace (relative to the capture root), from a live read. */
export function usernsCaptureFiles(ns: UserNamespace): Array<[string, string]> {
  const values: Record<(typeof FILES)[number], number | null> = { owner: ns.owner, parent: ns.parent, max_inotify_instances: ns.maxInotifyInstances, max_inotify_watches: ns.maxInotifyWatches };
  return FILES.filter((f) => values[f] !== null).map((f) => [`${USERNS_DIR}/${ns.inode}/${f}`, `${values[f]}\n`]);
}
