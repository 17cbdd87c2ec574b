/**
 * Network namespaces found through the sockets in them: those no process is in and no name holds.
 * A process that made a listener and then called unshare(CLONE_NEWNET), a socket passed over
 * SCM_RIGHTS from another namespace's process that has exited since: the socket keeps its namespace
 * alive (net/core/net_namespace.c: every socket holds a reference to its net), but no /proc/PID/ns/net
 * and no /run/netns name points at it, so the plan (netns-plan.ts) never lists it and its listener,
 * its full queue and its CLOSE_WAIT would go unseen.
 *
 * After the fd walk, every socket a process holds that no table read names (socket-kinds.ts leads)
 * is asked for its namespace and family (probe/socket-netns.ts). A namespace not planned is read like
 * the others (probe/netns-read.ts, entered through the fd the lookup kept) and named after the
 * socket it was found through; a socket of a planned namespace is of a family sockdoc does not read,
 * and is only named. Nothing is asked when every socket was named (the common case: no syscall).
 *
 * Bounded: first one socket per holding process (the first socket found in a namespace explains the
 * others once that namespace is read), then the rest, MAX_SOCKET_LOOKUPS in all per read; what is
 * left is counted and said. Never in a capture (--root): there is no process to ask.
 */
import type { NetnsData, NetnsTarget } from '../probe/netns-read.js';
import { closeNetnsFds, lookUpSocketNetns, type SocketLead, type SocketNetns } from '../probe/socket-netns.js';
import type { SocketKindCounter } from './socket-kinds.js';

/** How the snapshot's "not read" note starts (build.ts joins such notes into one sentence). */
export const NOT_READ_PREFIX = 'Not read, so not judged: ';

/**
 * Sockets asked for their namespace per read at most: each costs ~15–25 µs of syscalls (pidfd_getfd,
 * getsockopt, ioctl, fstat, close; measured: docs/benchmarks.md), so a tenant's flood of sockets no
 * table names (unbound UDP and netlink sockets are in no /proc/net table) costs ~100 ms at most.
 */
export const MAX_SOCKET_LOOKUPS = 4096;
/**
 * Namespaces found through sockets and read per run at most. Each costs what reading any namespace
 * costs, and one process can pin thousands of them for nothing (unshare, listen, unshare again: each
 * socket holds its namespace), where a namespace found the usual way costs a tenant a process; so
 * these are capped low, and counted beyond (a real one is rare: a handful on a host).
 */
export const MAX_FOUND_NAMESPACES = 64;

/** A namespace found through a socket, read. */
export interface OrphanNamespace {
  target: NetnsTarget;
  data: NetnsData;
  /** The socket it was found through. */
  through: SocketLead;
}

export interface OrphanSearch {
  found: OrphanNamespace[];
  /** Sentences for the snapshot's notes: what was not looked up, and why. */
  notes: string[];
  /** Sockets asked (for the probe report). */
  asked: number;
  /** Something was left unseen: namespaces found and not read, or live sockets not asked (the read is partial). */
  unseen: boolean;
  ms: number;
}

export interface OrphanOptions {
  /** A live read: the sockets can be asked. */
  live: boolean;
  /** Namespaces already planned (read or deliberately not): a socket in one is only named. */
  planned: ReadonlySet<number>;
  /** Reads namespaces not planned (probe/netns-read.ts readLiveNetns). */
  read: (targets: NetnsTarget[]) => Promise<NetnsData[]>;
  /** The process name of a pid, for the namespace's name. */
  nameOf: (pid: number) => string | undefined;
  /** Tests: another addon. */
  addonPath?: string;
  /** A namespace asked for by inode (`--netns INODE`): read even past the bound of namespaces. */
  wanted?: number | null;
  /** Tests: lower bounds. */
  max?: number;
  maxFound?: number;
}

/** How a namespace found through a socket is named: no process is in it, so the socket's holder says where it is. */
export function orphanName(inode: number, through: SocketLead, processName: string | undefined): string {
  return `netns ${inode} (no process inside; socket of pid ${through.pid}${processName ? ` ${processName}` : ''})`;
}

function plural(n: number, one: string, many: string): string {
  return n === 1 ? `1 ${one}` : `${n} ${many}`;
}

/** One lead per holding process first (in pid order), then the others. */
function firstPerProcess(leads: readonly SocketLead[]): SocketLead[] {
  const seen = new Set<number>();
  return leads.filter((l) => !seen.has(l.pid) && (seen.add(l.pid), true));
}

/**
 * Asks the sockets `kinds` could not name for their namespace, reads the namespaces no plan holds,
 * and counts what it read into `kinds` (their TCP and unix sockets, the families the sockets told).
 */
export async function findOrphanNetns(kinds: SocketKindCounter, opts: OrphanOptions): Promise<OrphanSearch> {
  const out: OrphanSearch = { found: [], notes: [], asked: 0, ms: 0, unseen: false };
  const first = kinds.leads();
  if (first.length === 0) return out;
  if (!opts.live) {
    out.notes.push(`${NOT_READ_PREFIX}${plural(first.length, 'socket', 'sockets')} that processes hold and no table read names (${first.length === 1 ? 'its' : 'their'} family and network namespace: a replay cannot ask a socket).`);
    return out;
  }
  const max = opts.max ?? MAX_SOCKET_LOOKUPS;
  const maxFound = opts.maxFound ?? MAX_FOUND_NAMESPACES;
  const unread = new Set<number>();
  /** The first socket met in each namespace not kept (over the bound): the way to it, if it is asked for. */
  const wayTo = new Map<number, SocketNetns>();
  const known = new Set(opts.planned);
  const asked = new Set<number>();
  const failed: SocketNetns[] = [];
  let unavailable = '';
  for (const round of [firstPerProcess, (l: readonly SocketLead[]) => [...l]]) {
    const pick = round(kinds.leads().filter((l) => !asked.has(l.inode))).slice(0, max - asked.size);
    if (pick.length === 0) continue;
    for (const l of pick) asked.add(l.inode);
    const r = await lookUpSocketNetns(pick, known, Math.max(0, maxFound - out.found.length), opts.addonPath);
    if ('unavailable' in r) {
      unavailable = r.unavailable;
      break;
    }
    out.ms += r.ms;
    try {
      const targets: Array<{ target: NetnsTarget; through: SocketNetns }> = [];
      for (const f of r.found) {
        if (f.family !== null) kinds.nameSocket(f.inode, f.family);
        if (f.error && !f.gone) failed.push(f);
        if (f.unkept && f.netns !== null) {
          unread.add(f.netns);
          if (!wayTo.has(f.netns)) wayTo.set(f.netns, f);
        }
        if (f.nsFd === null || f.netns === null) continue;
        const name = orphanName(f.netns, f, opts.nameOf(f.pid));
        // Entered through the fd the lookup kept: the addon opens it and checks its inode (native/netns.c).
        targets.push({ target: { inode: f.netns, pids: [], namedPath: `/proc/self/fd/${f.nsFd}`, label: name }, through: f });
      }
      const data = targets.length ? await opts.read(targets.map((t) => t.target)) : [];
      data.forEach((d, k) => {
        known.add(d.inode);
        kinds.addNamespace(d.table, d.unix.inodes);
        out.found.push({ target: targets[k].target, data: d, through: { inode: targets[k].through.inode, pid: targets[k].through.pid, fd: targets[k].through.fd } });
      });
    } finally {
      closeNetnsFds(r.found, opts.addonPath);
    }
  }
  // The namespace asked for by inode, met past the bound: asked again alone, and read.
  const wanted = opts.wanted ?? null;
  const way = wanted !== null && !known.has(wanted) ? wayTo.get(wanted) : undefined;
  if (way && wanted !== null) {
    const r = await lookUpSocketNetns([way], known, 1, opts.addonPath);
    if (!('unavailable' in r)) {
      try {
        const f = r.found[0];
        const inode = wanted;
        if (f?.nsFd != null && f.netns === inode) {
          const target: NetnsTarget = { inode, pids: [], namedPath: `/proc/self/fd/${f.nsFd}`, label: orphanName(inode, f, opts.nameOf(f.pid)) };
          const [d] = await opts.read([target]);
          kinds.addNamespace(d.table, d.unix.inodes);
          out.found.push({ target, data: d, through: { inode: f.inode, pid: f.pid, fd: f.fd } });
          unread.delete(inode);
        }
      } finally {
        closeNetnsFds(r.found, opts.addonPath);
      }
    }
  }
  out.asked = asked.size;
  const left = kinds.leads().filter((l) => !asked.has(l.inode) || unavailable !== '');
  out.unseen = unread.size > 0 || left.length > 0;
  if (unavailable && left.length) {
    out.notes.push(`${plural(left.length, "socket's namespace was", "sockets' namespaces were")} not looked up (${unavailable}): a namespace no process is in and no name holds is not read.`);
  } else if (left.length) {
    out.notes.push(`${plural(left.length, "socket's namespace was", "sockets' namespaces were")} not looked up (at most ${max} sockets are asked per run): a namespace no process is in and no name holds may hold ${left.length === 1 ? 'it' : 'them'} unread.`);
  }
  if (unread.size) {
    out.notes.push(`${plural(unread.size, 'network namespace', 'network namespaces')} that no process is in, found through ${unread.size === 1 ? 'a socket, was' : 'sockets, were'} not read (at most ${maxFound} such namespaces are read per run).`);
  }
  if (failed.length) {
    out.notes.push(`${plural(failed.length, 'socket', 'sockets')} could not be asked for ${failed.length === 1 ? 'its' : 'their'} namespace (first: pid ${failed[0].pid} fd ${failed[0].fd}: ${failed[0].error}${/EPERM|EACCES/.test(failed[0].error ?? '') ? '; asking needs root' : ''}): a namespace no process is in and no name holds may hold ${failed.length === 1 ? 'it' : 'them'} unread.`);
  }
  return out;
}
