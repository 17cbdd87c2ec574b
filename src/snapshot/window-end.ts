/**
 * The end of a live sampling window over the other namespaces, when their first read (at the
 * window's start) was whole: each namespace is read light at the end — its counters, sockstat,
 * listeners (one LISTEN dump, which walks only the listening hash) and unix sockets — and its TCP
 * sockets are walked again only when something may have changed them.
 *
 * Why: a dump of any state but LISTEN walks the established hash, which every namespace shares with
 * the host (unless net.ipv4.tcp_child_ehash_entries gave it its own), whatever the namespace holds:
 * net/ipv4/inet_diag.c inet_diag_dump_icsk skips it only when `!(idiag_states & ~TCPF_LISTEN)`.
 * Measured here (docs/benchmarks.md, "the kernel floor"): 1.4 ms per namespace for a full walk of
 * 262,144 buckets, 0.08 ms for the LISTEN dump. A window that walked at both ends paid it twice.
 *
 * The proof that nothing changed (`sameTcp`), between the start's counters (read before its walk)
 * and the end's (read after its LISTEN dump), so that it covers the walk's moment to the dump's:
 * - every Tcp and TcpExt counter is the same: no segment was received (Tcp.InSegs counts every one,
 *   tcp_v4_rcv/tcp_v6_rcv, before any lookup) nor sent (OutSegs, RetransSegs, OutRsts), so no
 *   handshake, data, FIN or RST moved a socket, and no timer sent anything (retransmits, keepalives,
 *   probes, SYN-ACKs);
 * - sockstat's TCP inuse and tw, TCP6 inuse are the same: no socket was hashed or freed (a
 *   TIME_WAIT or FIN_WAIT2 timer that ends a socket without sending changes them);
 * - the same listeners with the same accept-queue lengths: accept() sends nothing, but takes a
 *   connection off a queue, which can only be refilled by a segment.
 * Then the sockets are those of the first read, as of the end's LISTEN dump; the connections
 * waiting in a queue have waited the time between the two reads longer (added as a lower bound).
 * What is not proven: a request socket (SYN_RECV, not counted by sockstat) that the kernel dropped
 * without a segment (its last SYN-ACK retransmission earlier than the window) still shows.
 * Anything unknown (a file unreadable, a namespace entered from outside) is walked again.
 */
import { emptyNetnsData, enterNetns, fromInside, readLiveNetns, sockstatOf, unixInside, COUNTER_FILES, LISTEN_FILE, SOCKSTAT_FILES, SYSCTL_FILES, UNIX_FILE, type NetnsData, type NetnsTarget } from '../probe/netns-read.js';
import { parseNetstat } from '../probe/netstat.js';
import { parseInetDiag } from '../probe/inet-diag.js';
import { parseSockstatText } from '../probe/sockstat.js';
import { listenerKey } from '../probe/sock-diag.js';
import { ADDON_PATH, dumpFlags, NETNS_SKIP_EMPTY, type NativeNetnsRead } from '../probe/native.js';
import { TCP_ALL_STATES_MASK } from '../probe/net-diag.js';
import { emptyColumn, NO_VALUE, tcpStateNumber, type SocketTable } from './socket-table.js';

const LISTEN = tcpStateNumber('LISTEN');

/** What proves a namespace's TCP sockets unchanged between two reads. */
export interface TcpMarks {
  /** Tcp.* and TcpExt.* counters. */
  counters: ReadonlyMap<string, number>;
  inuse: number;
  tw: number;
  /** TCP6 inuse; 0 without IPv6. */
  inuse6: number;
  /** family/port/inode of each listener -> its accept-queue length. */
  listeners: ReadonlyMap<string, number>;
}

/** The files of the light read at the end, in this order: the dumps first, then what is compared (native/netns.c reads files after the dumps when a "sock_diag:" one comes first). */
export const END_FILES = [LISTEN_FILE, UNIX_FILE, ...COUNTER_FILES, ...SOCKSTAT_FILES];

const listenerId = (family: number, port: number, inode: number) => `${family}/${port}/${inode}`;

/** family/port/inode -> accept-queue length of a table's listeners. */
export function listenersOfTable(t: SocketTable): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; i < t.length; i++) if (t.state[i] === LISTEN) out.set(listenerId(t.family[i], t.localPort[i], t.inode[i]), t.rxQueue[i]);
  return out;
}

/** The marks of one read; null when any part is unknown (nothing is proven then). Throws ParseError for a sockstat that does not parse. */
export function tcpMarks(counters: Readonly<Record<string, number>> | null, sockstat: { v4: string; v6: string | null } | null | undefined, listeners: ReadonlyMap<string, number>): TcpMarks | null {
  if (!counters || !sockstat) return null;
  const tcp = new Map<string, number>();
  for (const [k, v] of Object.entries(counters)) if (k.startsWith('Tcp.') || k.startsWith('TcpExt.')) tcp.set(k, v);
  if (!tcp.has('Tcp.InSegs') || !tcp.has('Tcp.OutSegs')) return null;
  const v4 = parseSockstatText(sockstat.v4);
  const inuse6 = sockstat.v6 === null ? 0 : parseSockstatText(sockstat.v6, 'proc/net/sockstat6')['TCP6.inuse'];
  const inuse = v4['TCP.inuse'];
  const tw = v4['TCP.tw'];
  if (inuse === undefined || tw === undefined || inuse6 === undefined) return null;
  return { counters: tcp, inuse, tw, inuse6, listeners };
}

/** True when the two reads prove the namespace's TCP sockets unchanged (see the module comment). */
export function sameTcp(a: TcpMarks, b: TcpMarks): boolean {
  if (a.inuse !== b.inuse || a.tw !== b.tw || a.inuse6 !== b.inuse6) return false;
  if (a.counters.size !== b.counters.size || a.listeners.size !== b.listeners.size) return false;
  for (const [k, v] of a.counters) if (b.counters.get(k) !== v) return false;
  for (const [k, v] of a.listeners) if (b.listeners.get(k) !== v) return false;
  return true;
}

/** A first read's table as of the end: its listeners' drops as the end's dump gives them, the waits `sinceMs` longer. */
export function tableAtEnd(t: SocketTable, drops: ReadonlyMap<string, number> | null, sinceMs: number): SocketTable {
  let dropsCol = t.drops;
  if (dropsCol && drops) {
    dropsCol = emptyColumn(t.length);
    for (let i = 0; i < t.length; i++) {
      if (t.state[i] !== LISTEN) continue;
      const d = drops.get(listenerKey(t.family[i] === 4 ? 4 : 6, t.addresses[t.localAddress[i]], t.localPort[i], t.inode[i]));
      dropsCol[i] = d ?? t.drops![i];
    }
  }
  let waits = t.waitedMs;
  if (waits && sinceMs > 0) {
    waits = Uint32Array.from(waits, (w) => (w === NO_VALUE ? w : Math.min(w + Math.floor(sinceMs), NO_VALUE - 1)));
  }
  return t.withColumns({ drops: dropsCol, waitedMs: waits });
}

/** A whole read of a namespace (with its sockstat) and when it was made (Date.now() after the read). */
export interface WholeRead {
  data: NetnsData;
  at: number;
}

/**
 * A whole read of a namespace carried to a later light read `end` (of the files `asked`, END_FILES
 * in that order, maybe after the sysctls), or null when `end` does not prove it unchanged.
 * `sinceMs`: the time between the two reads at least.
 */
export function carriedToEnd(target: NetnsTarget, first: NetnsData, end: NativeNetnsRead, sinceMs: number, asked: readonly string[] = END_FILES): NetnsData | null {
  if (end.errno !== 0 || end.what === 'inode') return null;
  if (first.empty || end.empty) return first.empty && end.empty ? first : null;
  const file = (name: string) => end.files[asked.indexOf(name)];
  const [listen, netstat, snmp] = [file(LISTEN_FILE), file(COUNTER_FILES[0]), file(COUNTER_FILES[1])];
  if (typeof listen !== 'string' || typeof netstat !== 'string' || typeof snmp !== 'string') return null;
  const startMarks = tcpMarks(first.counters, first.sockstat, listenersOfTable(first.table));
  if (!startMarks) return null;
  try {
    const msgs = parseInetDiag(Buffer.from(listen, 'latin1'), `${LISTEN_FILE} inside ${target.label}`);
    const listeners = new Map<string, number>();
    const drops = new Map<string, number>();
    for (const m of msgs) {
      if (m.state !== 'LISTEN') continue;
      listeners.set(listenerId(m.family, m.localPort, m.inode), m.rqueue);
      if (m.drops !== null) drops.set(listenerKey(m.family, m.localAddress, m.localPort, m.inode), m.drops);
    }
    const counters = parseNetstat(snmp, '/proc/thread-self/net/snmp', parseNetstat(netstat, '/proc/thread-self/net/netstat'));
    const endMarks = tcpMarks(counters, sockstatOf(file(SOCKSTAT_FILES[0]), file(SOCKSTAT_FILES[1])), listeners);
    if (!endMarks || !sameTcp(startMarks, endMarks)) return null;
    const carried: NetnsData = { ...first, table: tableAtEnd(first.table, first.table.drops ? drops : null, sinceMs), counters, unix: unixInside(target, file(UNIX_FILE)), reread: false };
    if (asked.includes(SYSCTL_FILES[0])) {
      // Sysctls read again (a fix applied since shows): their reports replace the first read's.
      const fresh = emptyNetnsData(target);
      fromInside(end.files, asked, target.label, fresh);
      const isSysctl = (r: { probe: string }) => r.probe === 'sysctl';
      carried.tunables = fresh.tunables;
      carried.reports = [...first.reports.filter((r) => !isSysctl(r)), ...fresh.reports.filter(isSysctl)];
      carried.partial = carried.reports.some((r) => r.status === 'failed');
    }
    return carried;
  } catch {
    return null; // a file that does not parse proves nothing: walked again
  }
}

export interface CarryOptions {
  addonPath?: string;
  skipEmpty?: boolean;
  /** Read each namespace's sysctls again in the light read (a read kept between snapshots); the window's end keeps its start's. */
  sysctls?: boolean;
}

/**
 * Reads `targets`: each with a whole read in `first` (same order; null: none) is read light and
 * carried where proven unchanged (reread: false); every other one is read whole (reread: true),
 * with the files that let a later read carry it.
 */
export async function readCarrying(targets: readonly NetnsTarget[], first: ReadonlyArray<WholeRead | null>, opts: CarryOptions = {}): Promise<NetnsData[]> {
  const addonPath = opts.addonPath ?? ADDON_PATH;
  const skipEmpty = opts.skipEmpty ?? true;
  const asked = opts.sysctls ? [...SYSCTL_FILES, ...END_FILES] : END_FILES;
  const out: Array<NetnsData | null> = targets.map(() => null);
  // Only what was read from inside, whole, with its sockstat (or found empty) can be carried.
  const light = targets.map((_, i) => i).filter((i) => {
    const d = first[i]?.data;
    return d !== undefined && (d.empty === true || (d.socketSource === 'sock_diag' && !d.outside && !!d.sockstat));
  });
  if (light.length) {
    try {
      const startedAt = Date.now();
      const entries = await enterNetns(light.map((i) => targets[i]), asked, addonPath, {}, { states: 0, flags: skipEmpty ? NETNS_SKIP_EMPTY : 0 });
      light.forEach((i, k) => {
        const read = entries[k].read;
        const f = first[i]!;
        if (read) out[i] = carriedToEnd(targets[i], f.data, read, Math.max(0, startedAt - f.at), asked);
      });
    } catch {
      // No addon: every namespace is read whole below.
    }
  }
  const again = targets.map((_, i) => i).filter((i) => out[i] === null);
  if (again.length) {
    const reread = await readLiveNetns(again.map((i) => targets[i]), addonPath, {}, TCP_ALL_STATES_MASK, dumpFlags(), 'carryable', skipEmpty);
    again.forEach((i, k) => (out[i] = { ...reread[k], reread: true }));
  }
  return out as NetnsData[];
}

/**
 * The end of the window for `targets`, whose first read (same order, the 'window-start' files)
 * ended at `at` (Date.now()): each proven unchanged is carried, every other one read whole again.
 */
export function readWindowEnd(targets: readonly NetnsTarget[], first: readonly NetnsData[], at: number, opts: CarryOptions = {}): Promise<NetnsData[]> {
  return readCarrying(targets, first.map((data) => ({ data, at })), opts);
}

/** Most rows of a namespace's table an UnchangedReads keeps: the walk costs the same whatever a namespace holds, so the many small namespaces of a flood are what carrying is for. */
export const CARRY_MAX_ROWS = 4096;
/** Most rows an UnchangedReads keeps in all (8 MiB of rows; the oldest reads go first). */
export const CARRY_MAX_TOTAL_ROWS = 262_144;

/**
 * Whole reads kept by whoever reads namespaces again and again (serve's scrapes: its NetnsCarry
 * reads batches through `read`): a namespace read whole once is afterwards read light, and walked
 * again only when it changed. Held by the caller (no module state); bounded by CARRY_MAX_ROWS a
 * namespace and CARRY_MAX_TOTAL_ROWS in all. Sysctls are read again every time. A kept read is
 * found by namespace inode: an inode the kernel gave again to a new namespace is not carried, since
 * the proof compares the new one's counters, sockstat and listener inodes with the old one's.
 */
export class UnchangedReads {
  private readonly kept = new Map<number, WholeRead>();
  private rows = 0;

  constructor(
    private readonly maxRows = CARRY_MAX_ROWS,
    private readonly maxTotalRows = CARRY_MAX_TOTAL_ROWS,
  ) {}

  /** How many namespaces' whole reads are kept. */
  get size(): number {
    return this.kept.size;
  }

  async read(targets: readonly NetnsTarget[], opts: Omit<CarryOptions, 'sysctls'> = {}): Promise<NetnsData[]> {
    const got = await readCarrying(targets, targets.map((t) => this.kept.get(t.inode) ?? null), { ...opts, sysctls: true });
    const at = Date.now();
    got.forEach((d, i) => {
      // A carried read keeps its whole read (the proof is against it); a new whole read replaces it.
      if (d.reread === false || d.inode !== targets[i].inode) return;
      this.forget(d.inode);
      if (d.reread && d.table.length <= this.maxRows) {
        this.kept.set(d.inode, { data: d, at });
        this.rows += d.table.length;
      }
    });
    // Map order is insertion order: the oldest whole reads first.
    for (const inode of this.kept.keys()) {
      if (this.rows <= this.maxTotalRows) break;
      this.forget(inode);
    }
    return got;
  }

  private forget(inode: number): void {
    const was = this.kept.get(inode);
    if (!was) return;
    this.rows -= was.data.table.length;
    this.kept.delete(inode);
  }
}
