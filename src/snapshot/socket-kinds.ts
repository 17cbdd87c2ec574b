/**
 * Splits each process's socket fds by family. The fd walk sees only "socket:[INODE]"; the family is
 * where the inode is found: the TCP and unix-domain tables the snapshot read anyway (socket inodes
 * are unique host-wide, sockfs), then, for what is left, the UDP, raw, netlink and packet tables of
 * the namespace of a process holding it (read only when something is left, which on most hosts is
 * a few netlink and UDP sockets). An fd found nowhere stays "socket" (another family).
 */
import { OwnerMap } from '../probe/owner-map.js';
import { FD_KINDS, SOCKET_KINDS, type FdKindCounts, type Owner, type ProcessInfo, type SocketKind, type UnixSocket } from './types.js';
import type { SocketTable } from './socket-table.js';

const INDEX = new Map<SocketKind, number>(SOCKET_KINDS.map((k, i) => [k, i]));
const TCP = INDEX.get('tcp') as number;
const UNIX = INDEX.get('unix') as number;

/** Sockets left to name, per network namespace of a holder: the pids holding them there, and their inodes. */
export type Unnamed = Map<number | null, { pids: number[]; inodes: Set<number> }>;

/**
 * Replaces `fdKinds.socket` of every process by its sockets per family (tcp, udp, unix, netlink,
 * raw, packet; `socket` for the rest). `lookup` names the sockets neither table holds.
 */
export function splitSocketKinds(
  processes: readonly ProcessInfo[],
  owners: ReadonlyMap<number, readonly Owner[]>,
  tcp: SocketTable,
  unix: readonly UnixSocket[],
  lookup: (unnamed: Unnamed) => Map<number, SocketKind>,
): void {
  const byPid = new Map<number, ProcessInfo>();
  for (const p of processes) if (p.fdKinds?.socket) byPid.set(p.pid, p);
  if (byPid.size === 0) return;
  const counts = new Map<number, Uint32Array>();
  const add = (kind: number) => (pid: number) => {
    if (!byPid.has(pid)) return;
    let c = counts.get(pid);
    if (!c) counts.set(pid, (c = new Uint32Array(SOCKET_KINDS.length)));
    c[kind]++;
  };
  const holders = holderWalk(owners);
  const addTcp = add(TCP);
  for (let i = 0; i < tcp.length; i++) if (tcp.inode[i] !== 0) holders.mark(tcp.inode[i], TCP + 1, addTcp);
  const addUnix = add(UNIX);
  for (const u of unix) if (u.inode !== 0) holders.mark(u.inode, UNIX + 1, addUnix);

  const unnamed: Unnamed = new Map();
  const left: Array<[inode: number, pid: number]> = [];
  holders.forEachUnmarked((inode, pid) => {
    const p = byPid.get(pid);
    if (!p) return;
    left.push([inode, pid]);
    let g = unnamed.get(p.netns);
    if (!g) unnamed.set(p.netns, (g = { pids: [], inodes: new Set() }));
    if (!g.pids.includes(pid)) g.pids.push(pid);
    g.inodes.add(inode);
  });
  const named = left.length ? lookup(unnamed) : new Map<number, SocketKind>();
  for (const [inode, pid] of left) add(INDEX.get(named.get(inode) ?? 'socket') as number)(pid);

  for (const p of byPid.values()) {
    const kinds = p.fdKinds as FdKindCounts;
    const total = kinds.socket ?? 0;
    const c = counts.get(p.pid);
    delete kinds.socket;
    let found = 0;
    SOCKET_KINDS.forEach((k, i) => {
      const n = c?.[i] ?? 0;
      if (n > 0) kinds[k] = (kinds[k] ?? 0) + n;
      found += n;
    });
    // Sockets the walk saw that the owner map lost (a process left out): another family, as far as is known.
    if (total > found) kinds.socket = (kinds.socket ?? 0) + (total - found);
    p.fdKinds = ordered(kinds);
  }
}

/** The record with its kinds in FD_KINDS order: JSON and tests read the same whoever built it. */
function ordered(k: FdKindCounts): FdKindCounts {
  const out: FdKindCounts = {};
  for (const key of FD_KINDS) {
    if (k[key]) out[key] = k[key];
  }
  return out;
}

/** markHolders / forEachUnmarked for an OwnerMap (allocation-free) or any Map of holders (tests). */
function holderWalk(owners: ReadonlyMap<number, readonly Owner[]>) {
  if (owners instanceof OwnerMap) {
    return {
      mark: (inode: number, m: number, fn: (pid: number) => void) => owners.markHolders(inode, m, fn),
      forEachUnmarked: (fn: (inode: number, pid: number) => void) => owners.forEachUnmarked(fn),
    };
  }
  const marked = new Set<number>();
  return {
    mark: (inode: number, _m: number, fn: (pid: number) => void) => {
      const list = owners.get(inode);
      if (!list) return false;
      marked.add(inode);
      for (const o of list) fn(o.pid);
      return true;
    },
    forEachUnmarked: (fn: (inode: number, pid: number) => void) => {
      for (const [inode, list] of owners) if (!marked.has(inode)) for (const o of list) fn(inode, o.pid);
    },
  };
}
