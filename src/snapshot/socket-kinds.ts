/**
 * Splits each process's socket fds by family. The fd walk sees only "socket:[INODE]"; the family is
 * where the inode is found: the TCP and unix-domain tables the snapshot read anyway (socket inodes
 * are unique host-wide, sockfs), then, for what is left, the UDP, raw, netlink and packet tables of
 * the namespace of a process holding it (read only when something is left, which on most hosts is
 * a few netlink and UDP sockets). An fd found nowhere is a lead: the snapshot asks the socket itself
 * for its namespace and family (snapshot/orphan-netns.ts: a namespace no process is in, another
 * family); what stays unnamed is "socket" (another family, as far as is known).
 */
import { eachHolding, OwnerMap } from '../probe/owner-map.js';
import { FD_KINDS, SOCKET_KINDS, TCP_STATES, type FdKindCounts, type Owner, type ProcessInfo, type SocketKind } from './types.js';
import type { SocketTable } from './socket-table.js';
import type { SocketLead } from '../probe/socket-netns.js';

const INDEX = new Map<SocketKind, number>(SOCKET_KINDS.map((k, i) => [k, i]));
const TCP = INDEX.get('tcp') as number;
const UNIX = INDEX.get('unix') as number;
const KINDS = SOCKET_KINDS.length;

/** Sockets left to name, per network namespace of a holder: the pids holding them there, and their inodes. */
export type Unnamed = Map<number | null, { pids: number[]; inodes: Set<number> }>;

/**
 * The processes' socket counts in the making: one pass over the TCP table does both what
 * `ProcessInfo.sockets` needs (TCP sockets per state, a socket once per process however many fds
 * hold it) and the family split of the fds (one per holding fd), with one owner lookup per socket;
 * `split` then adds the unix sockets and names the rest. The hot part at 100k sockets: typed
 * arrays indexed by the process's position, no allocation per socket.
 */
export class SocketKindCounter {
  private readonly index = new Map<number, number>();
  /** Per process (by index) and socket kind: fds. */
  private readonly counts: Uint32Array;
  private readonly walk: HolderWalk;
  /** The OwnerMap itself when it is one: the TCP pass calls it directly. */
  private readonly owners: OwnerMap | null;
  /** Holding fds (inode, process index, fd) of sockets neither table holds, from nameRest until fold. */
  private left: Array<[inode: number, i: number, fd: number]> = [];
  /** Families of those sockets, as a lookup or the socket itself named them. */
  private readonly named = new Map<number, SocketKind>();
  /** Per process (by index): 1 when it holds a TCP socket of its own namespace (for `tcpNetns`). */
  private readonly ownTcp: Uint8Array;

  constructor(
    private readonly processes: readonly ProcessInfo[],
    owners: ReadonlyMap<number, readonly Owner[]>,
  ) {
    processes.forEach((p, i) => this.index.set(p.pid, i));
    this.counts = new Uint32Array(processes.length * KINDS);
    this.ownTcp = new Uint8Array(processes.length);
    this.walk = holderWalk(owners);
    this.owners = owners instanceof OwnerMap ? owners : null;
  }

  /** Counts the TCP table: `sockets[state]` per holding process, and the TCP fds of each. */
  countTcp(table: SocketTable): void {
    const { index, counts, processes } = this;
    let rowNetns = 0;
    // One function per state, made once (as many closures as states, none per socket).
    const holds = TCP_STATES.map((state) => (pid: number, firstOfPid: boolean) => {
      const i = index.get(pid);
      if (i === undefined) return;
      counts[i * KINDS + TCP]++;
      if (firstOfPid) {
        const p = processes[i];
        const sockets = p.sockets;
        sockets[state] = (sockets[state] ?? 0) + 1;
        // A socket of another namespace than its holder's (rare: one compare per socket otherwise).
        if (rowNetns === p.netns) this.ownTcp[i] = 1;
        else if (p.netns !== null) this.elsewhere(p, rowNetns);
      }
    });
    const { state, inode, netns } = table;
    const owners = this.owners;
    for (let r = 0; r < table.length; r++) {
      const hold = holds[state[r] - 1]; // undefined for 0: a state no parser lets through
      if (inode[r] === 0 || hold === undefined) continue;
      rowNetns = netns[r];
      if (owners) owners.markHolders(inode[r], TCP + 1, hold);
      else this.walk.mark(inode[r], TCP + 1, hold);
    }
  }

  /**
   * Replaces `fdKinds.socket` of every process by its sockets per family (tcp, udp, unix, netlink,
   * raw, packet; `socket` for the rest). `lookup` names the sockets neither table holds.
   */
  split(unixInodes: ReadonlyArray<ArrayLike<number>>, lookup: (unnamed: Unnamed) => Map<number, SocketKind>): void {
    this.markUnix(unixInodes);
    this.nameRest(lookup);
    this.fold();
  }

  /** Counts each holding fd of these unix-domain sockets as unix. */
  markUnix(unixInodes: ReadonlyArray<ArrayLike<number>>): void {
    const { index, counts } = this;
    const addUnix = (pid: number) => {
      const i = index.get(pid);
      if (i !== undefined) counts[i * KINDS + UNIX]++;
    };
    for (const inodes of unixInodes) {
      for (let k = 0; k < inodes.length; k++) if (inodes[k] !== 0) this.walk.mark(inodes[k], UNIX + 1, addUnix);
    }
  }

  /**
   * Names what neither table holds through `lookup` (the other families' /proc/net tables of each
   * holder's namespace; called only when something is left). What it cannot name stays for `leads`.
   */
  nameRest(lookup: (unnamed: Unnamed) => Map<number, SocketKind>): void {
    const { index, processes } = this;
    const unnamed: Unnamed = new Map();
    this.walk.forEachUnmarked((inode, pid, fd) => {
      const i = index.get(pid);
      if (!this.withSockets(i)) return;
      const p = processes[i];
      this.left.push([inode, i, fd]);
      let g = unnamed.get(p.netns);
      if (!g) unnamed.set(p.netns, (g = { pids: [], inodes: new Set() }));
      if (!g.pids.includes(pid)) g.pids.push(pid);
      g.inodes.add(inode);
    });
    if (this.left.length) for (const [inode, kind] of lookup(unnamed)) this.named.set(inode, kind);
  }

  /** The sockets no table and no lookup named: one (inode, pid, fd) each, its first holder. */
  leads(): SocketLead[] {
    const out: SocketLead[] = [];
    const seen = new Set<number>();
    for (const [inode, i, fd] of this.left) {
      if (this.named.has(inode) || seen.has(inode)) continue;
      seen.add(inode);
      out.push({ inode, pid: this.processes[i].pid, fd });
    }
    return out;
  }

  /** A socket's family, learned from the socket itself (probe/socket-netns.ts). */
  nameSocket(inode: number, kind: SocketKind): void {
    this.named.set(inode, kind);
  }

  /**
   * Counts the sockets of a namespace read after `nameRest` (one found through a socket): its TCP
   * sockets as countTcp does, its unix ones as unix; none of them is left to name.
   */
  addNamespace(table: SocketTable, unixInodes: ArrayLike<number>): void {
    this.countTcp(table);
    this.markUnix([unixInodes]);
    const found = new Set<number>();
    for (let r = 0; r < table.length; r++) if (table.inode[r] !== 0) found.add(table.inode[r]);
    for (let k = 0; k < unixInodes.length; k++) if (unixInodes[k] !== 0) found.add(unixInodes[k]);
    this.left = this.left.filter(([inode]) => !found.has(inode));
  }

  /** Replaces `fdKinds.socket` of every process by its counts per family (after the steps above). */
  fold(): void {
    const { counts, processes } = this;
    for (const [inode, i] of this.left) counts[i * KINDS + (INDEX.get(this.named.get(inode) ?? 'socket') as number)]++;
    this.left = [];
    processes.forEach((p, i) => {
      if (p.tcpNetns) {
        if (this.ownTcp[i] && p.netns !== null) p.tcpNetns.push(p.netns);
        p.tcpNetns.sort((a, b) => a - b);
      }
      const kinds = p.fdKinds;
      if (!kinds?.socket) return;
      const total = kinds.socket;
      delete kinds.socket;
      let found = 0;
      for (let k = 0; k < KINDS; k++) {
        const n = counts[i * KINDS + k];
        if (n > 0) kinds[SOCKET_KINDS[k]] = (kinds[SOCKET_KINDS[k]] ?? 0) + n;
        found += n;
      }
      // Sockets the walk saw that the owner map lost (a process left out): another family, as far as is known.
      if (total > found) kinds.socket = (kinds.socket ?? 0) + (total - found);
      p.fdKinds = ordered(kinds);
    });
  }

  /** Records that `p` holds a TCP socket of namespace `inode` (not its own): `tcpNetns` lists its own too once it has one. */
  private elsewhere(p: ProcessInfo, inode: number): void {
    const list = (p.tcpNetns ??= []);
    if (!list.includes(inode)) list.push(inode);
  }

  private withSockets(i: number | undefined): i is number {
    return i !== undefined && (this.processes[i].fdKinds?.socket ?? 0) > 0;
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

interface HolderWalk {
  /** Marks the inode (an earlier mark is kept) and calls `fn` per holding fd. */
  mark(inode: number, m: number, fn: (pid: number, firstOfPid: boolean) => void): boolean;
  /** Every holding (inode, pid, fd) of an inode nothing marked. */
  forEachUnmarked(fn: (inode: number, pid: number, fd: number) => void): void;
}

/** markHolders / forEachUnmarked for an OwnerMap (allocation-free) or any Map of holders (tests). */
function holderWalk(owners: ReadonlyMap<number, readonly Owner[]>): HolderWalk {
  if (owners instanceof OwnerMap) {
    return {
      mark: (inode, m, fn) => owners.markHolders(inode, m, fn),
      forEachUnmarked: (fn) => owners.forEachUnmarked(fn),
    };
  }
  const marked = new Set<number>();
  return {
    mark: (inode, _m, fn) => {
      const list = owners.get(inode);
      if (!list) return false;
      marked.add(inode);
      eachHolding(list, fn);
      return true;
    },
    forEachUnmarked: (fn) => {
      for (const [inode, list] of owners) if (!marked.has(inode)) for (const o of list) fn(inode, o.pid, o.fd);
    },
  };
}
