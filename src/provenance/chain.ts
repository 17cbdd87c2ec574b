/**
 * The ancestry of a process, from itself up to pid 1, with what each link tells about limits:
 * RLIMIT_NOFILE (/proc/PID/limits), comm and ppid (/proc/PID/stat), argv, cgroup, uid.
 * RLIMIT_NOFILE is inherited across fork and exec (man 2 getrlimit), so the chain is where a
 * limit came from.
 */
import { redactName } from '../snapshot/redact.js';
import { readPidCgroup, systemdCgroupPath, type CgroupEntry } from '../probe/pid-cgroup.js';
import { readPidCmdline } from '../probe/pid-cmdline.js';
import { nofile, readPidLimits } from '../probe/pid-limits.js';
import { readPidStat } from '../probe/pid-stat.js';
import { readPidStatus } from '../probe/pid-status.js';
import { describeError, outcomeOf } from '../probe/read-file.js';
import type { Effective } from './rlimit.js';
import type { ExplainContext } from './context.js';

/** Longest chain followed: real trees are a handful deep; this bounds a corrupt fixture's loop. */
const MAX_DEPTH = 64;

export interface ProcNode {
  pid: number;
  ppid: number;
  name: string;
  argv: string[];
  limit: Effective;
  /** Real uid; null when /proc/PID/status could not be read. */
  uid: number | null;
  /**
   * Every id prlimit(2)'s permission check compares (kernel/sys.c check_prlimit_permission: the
   * caller's uid must equal the target's real, effective and saved uid, and its gid the three gids);
   * null when unread.
   */
  creds: { euid: number; suid: number; gid: number; egid: number; sgid: number } | null;
  /** systemd's cgroup path (v1 name=systemd or v2), null when unknown. */
  cgroup: string | null;
  /** Every cgroup path of the process (container detection looks at all hierarchies). */
  cgroupPaths: string[];
  /** The same with their hierarchies: whether a user could have made them (container-trust.ts). Absent in hand-made nodes. */
  cgroupEntries?: CgroupEntry[];
}

export interface Chain {
  /** links[0] is the process asked about, the last one is pid 1 or where the walk stopped. */
  links: ProcNode[];
  /** Why the walk stopped before pid 1, or what could not be read, one sentence each. */
  notes: string[];
}

/** An unlimited nofile cannot be set (fs.nr_open caps it): shown as unknown rather than invented. */
function num(v: number | 'unlimited'): number | null {
  return v === 'unlimited' ? null : v;
}

/** Reads what a value needs, or null with a note when it cannot be read for a reason worth telling. */
function optional<T>(what: string, fn: () => T, notes: string[]): T | null {
  try {
    return fn();
  } catch (err) {
    if (outcomeOf(err) !== 'absent') notes.push(`${what}: ${describeError(err)}`);
    return null;
  }
}

/**
 * Reads one process. Returns null when it is gone (ENOENT/ESRCH): the caller ends the chain there.
 * Other errors (denied, malformed) become notes and nulls in the node.
 */
export function readNode(root: string, pid: number, notes: string[]): ProcNode | null {
  let stat;
  try {
    stat = readPidStat(root, pid);
  } catch (err) {
    if (outcomeOf(err) === 'absent') return null;
    notes.push(`pid ${pid}: ${describeError(err)}`);
    return null;
  }
  const rows = optional(`pid ${pid} limits`, () => readPidLimits(root, pid), notes);
  const nf = rows ? nofile(rows) : null;
  const argv = optional(`pid ${pid} cmdline`, () => readPidCmdline(root, pid).argv, notes) ?? [];
  const status = optional(`pid ${pid} status`, () => readPidStatus(root, pid), notes);
  const cg: CgroupEntry[] = optional(`pid ${pid} cgroup`, () => readPidCgroup(root, pid), notes) ?? [];
  return {
    pid,
    ppid: stat.ppid,
    // Shown in every explanation: a title holding a secret is not printed (src/snapshot/redact.ts redactName).
    name: redactName(stat.name, argv).value,
    argv,
    limit: { soft: nf ? num(nf.soft) : null, hard: nf ? num(nf.hard) : null },
    uid: status?.uid ?? null,
    creds: status && status.gids ? { euid: status.euid, suid: status.suid, ...status.gids } : null,
    cgroup: systemdCgroupPath(cg),
    cgroupPaths: cg.map((e) => e.path),
    cgroupEntries: cg,
  };
}

/**
 * Walks ppid links from `pid` to pid 1. Returns null when `pid` itself does not exist. With `ctx`
 * (explainLimits' one for many pids), a process read for one chain is not read again for the next.
 * @example readChain('/', process.pid)?.links.map((l) => l.name) // ['node', 'bash', ..., 'systemd']
 */
export function readChain(root: string, pid: number, ctx?: ExplainContext): Chain | null {
  const notes: string[] = [];
  // Siblings share their ancestors (500 forked workers, one master, one supervisor): with a context,
  // each process of the tree is read once however many chains pass through it.
  const node = (at: number): ProcNode | null => {
    if (!ctx) return readNode(root, at, notes);
    const key = `proc-node:${at}`;
    let read = ctx.cache.get(key) as { node: ProcNode | null; notes: string[] } | undefined;
    if (!read) {
      const own: string[] = [];
      read = { node: readNode(root, at, own), notes: own };
      ctx.cache.set(key, read);
    }
    notes.push(...read.notes);
    return read.node;
  };
  const first = node(pid);
  if (!first) return notes.length ? { links: [], notes } : null;
  const links = [first];
  const seen = new Set([pid]);
  let cur = first;
  while (cur.ppid > 0 && links.length < MAX_DEPTH) {
    if (seen.has(cur.ppid)) {
      notes.push(`pid ${cur.pid} names ${cur.ppid} as its parent, which is already in the chain; stopped there.`);
      break;
    }
    const parent = node(cur.ppid);
    if (!parent) {
      notes.push(`The parent of ${cur.name} (pid ${cur.pid}), pid ${cur.ppid}, could not be read; the chain stops there.`);
      break;
    }
    seen.add(parent.pid);
    links.push(parent);
    cur = parent;
  }
  if (cur.ppid === 0 && cur.pid !== 1) {
    notes.push(`${cur.name} (pid ${cur.pid}) has no parent in this pid namespace: it is the top of the chain seen from here.`);
  }
  return { links, notes };
}

/**
 * Index of the link where the current value was set: climb while the parent holds the same
 * soft and hard; the last such ancestor is the origin (the process itself when its parent differs).
 */
export function originIndex(links: readonly ProcNode[]): number {
  let i = 0;
  while (i + 1 < links.length && sameLimit(links[i], links[i + 1])) i++;
  return i;
}

function sameLimit(a: ProcNode, b: ProcNode): boolean {
  return a.limit.soft !== null && a.limit.soft === b.limit.soft && a.limit.hard === b.limit.hard;
}
