/**
 * Every TCP socket of a snapshot as columns of typed arrays: the same fields as TcpSocket[], one
 * array per field instead of one object per socket.
 *
 * Why: at 100k sockets, one object each cost a `sockdoc serve` scrape ~45 ms to build and ~40 ms
 * of V8 scavenges copying them into the old generation, plus the page faults of a heap that grows
 * by ~10 MiB per read (perf over 10 scrapes: Scavenger::ScavengeObject 10.6% of the exporter's
 * CPU). The sock_diag dump already arrives as typed arrays (native/tcptable.c), so the columns are
 * a copy of it; the hot loops (owners, listeners, CLOSE_WAIT, ephemeral ports) read them by index.
 *
 * The `sockets` array stays the interface for everything else (renderers, fixtures, tests): a
 * snapshot made from a live read carries a lazy `sockets` that is built on first use
 * (`withSocketTable`), and `socketTableOf` gives the columns of any snapshot, from the array when
 * someone assigned or built it (so a fixture snapshot and a live one answer the same).
 *
 * Shapes: `state` is the kernel's number (include/net/tcp_states.h: 1 ESTABLISHED … 11 CLOSING,
 * TCP_STATES[state - 1]); `localAddress`/`remoteAddress` index `addresses` (each distinct printable
 * address once); queues, uid, inode and netns are NumberColumns (32-bit unless a value needs more).
 * `drops` (listeners) and `waitedMs` (connections waiting in an accept queue) exist only when the
 * source could tell them (sock_diag, a capture of it): null columns otherwise, and NO_VALUE in the
 * rows they do not apply to or were not measured for.
 */
import { TCP_STATES, type TcpSocket } from './types.js';

const STATE_NUMBER = new Map(TCP_STATES.map((s, i) => [s, i + 1]));

/** Kernel number of a TCP state name (1..11). */
export function tcpStateNumber(state: TcpSocket['state']): number {
  return STATE_NUMBER.get(state) as number;
}

/**
 * A number column: 32 bits when every value fits (what the kernel's sock_diag fields are: struct
 * inet_diag_msg's idiag_rqueue, idiag_wqueue, idiag_uid, idiag_inode are __u32), 64-bit floats
 * when a /proc text or a capture carries a larger value, which must not wrap.
 */
export type NumberColumn = Uint32Array | Float64Array;

/** A row of an optional column (drops, waitedMs) with no value: not a listener, not measured. */
export const NO_VALUE = 0xffffffff;

/** A column of NO_VALUE, to fill in. */
export function emptyColumn(count: number): Uint32Array {
  return new Uint32Array(count).fill(NO_VALUE);
}

/** Column storage; `count` sockets, each column at least that long. */
export interface SocketColumns {
  count: number;
  family: Uint8Array;
  state: Uint8Array;
  localPort: Uint16Array;
  remotePort: Uint16Array;
  localAddress: Uint32Array;
  remoteAddress: Uint32Array;
  addresses: string[];
  rxQueue: NumberColumn;
  txQueue: NumberColumn;
  uid: NumberColumn;
  inode: NumberColumn;
  netns: NumberColumn;
  /** LISTEN rows: TcpSocket.drops; NO_VALUE elsewhere. null/absent: the source cannot tell. */
  drops?: Uint32Array | null;
  /** Rows waiting in an accept queue: TcpSocket.waitedMs; NO_VALUE elsewhere. null/absent: not measured. */
  waitedMs?: Uint32Array | null;
}

/** `wide`: Float64Array number columns (values that may not fit 32 bits). */
export function allocColumns(count: number, addresses: string[] = [], wide = false): SocketColumns {
  const N = wide ? Float64Array : Uint32Array;
  return {
    count,
    family: new Uint8Array(count),
    state: new Uint8Array(count),
    localPort: new Uint16Array(count),
    remotePort: new Uint16Array(count),
    localAddress: new Uint32Array(count),
    remoteAddress: new Uint32Array(count),
    addresses,
    rxQueue: new N(count),
    txQueue: new N(count),
    uid: new N(count),
    inode: new N(count),
    netns: new N(count),
  };
}

/** The columns whose values are the socket's own (the address columns are indexes into `addresses`). */
const VALUE_COLUMNS = ['family', 'state', 'localPort', 'remotePort', 'rxQueue', 'txQueue', 'uid', 'inode', 'netns'] as const;
/** The optional columns, null when the source could not tell them. */
const OPTIONAL_COLUMNS = ['drops', 'waitedMs'] as const;

export class SocketTable {
  readonly length: number;
  readonly family: Uint8Array;
  readonly state: Uint8Array;
  readonly localPort: Uint16Array;
  readonly remotePort: Uint16Array;
  readonly localAddress: Uint32Array;
  readonly remoteAddress: Uint32Array;
  readonly addresses: readonly string[];
  readonly rxQueue: NumberColumn;
  readonly txQueue: NumberColumn;
  readonly uid: NumberColumn;
  readonly inode: NumberColumn;
  readonly netns: NumberColumn;
  readonly drops: Uint32Array | null;
  readonly waitedMs: Uint32Array | null;

  constructor(c: SocketColumns) {
    this.length = c.count;
    this.family = c.family;
    this.state = c.state;
    this.localPort = c.localPort;
    this.remotePort = c.remotePort;
    this.localAddress = c.localAddress;
    this.remoteAddress = c.remoteAddress;
    this.addresses = c.addresses;
    this.rxQueue = c.rxQueue;
    this.txQueue = c.txQueue;
    this.uid = c.uid;
    this.inode = c.inode;
    this.netns = c.netns;
    this.drops = c.drops ?? null;
    this.waitedMs = c.waitedMs ?? null;
  }

  static empty(): SocketTable {
    return new SocketTable(allocColumns(0));
  }

  /** Columns of an array of sockets (fixtures, /proc/net/tcp text). */
  static fromSockets(sockets: readonly TcpSocket[]): SocketTable {
    const index = new Map<string, number>();
    const addresses: string[] = [];
    const intern = (a: string): number => {
      let i = index.get(a);
      if (i === undefined) {
        index.set(a, (i = addresses.length));
        addresses.push(a);
      }
      return i;
    };
    const fits = (n: number) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
    const wide = sockets.some((s) => !fits(s.rxQueue) || !fits(s.txQueue) || !fits(s.uid) || !fits(s.inode) || !fits(s.netns));
    const c = allocColumns(sockets.length, addresses, wide);
    if (sockets.some((s) => s.drops !== undefined)) c.drops = emptyColumn(sockets.length);
    if (sockets.some((s) => s.waitedMs !== undefined)) c.waitedMs = emptyColumn(sockets.length);
    for (let i = 0; i < sockets.length; i++) {
      const s = sockets[i];
      c.family[i] = s.family;
      c.state[i] = tcpStateNumber(s.state);
      c.localPort[i] = s.localPort;
      c.remotePort[i] = s.remotePort;
      c.localAddress[i] = intern(s.localAddress);
      c.remoteAddress[i] = intern(s.remoteAddress);
      c.rxQueue[i] = s.rxQueue;
      c.txQueue[i] = s.txQueue;
      c.uid[i] = s.uid;
      c.inode[i] = s.inode;
      c.netns[i] = s.netns;
      if (c.drops && s.drops !== undefined) c.drops[i] = s.drops;
      if (c.waitedMs && s.waitedMs !== undefined) c.waitedMs[i] = s.waitedMs;
    }
    return new SocketTable(c);
  }

  /** One table of several (namespaces read apart), in order; addresses re-interned so each is listed once. */
  static concat(parts: readonly SocketTable[]): SocketTable {
    const nonEmpty = parts.filter((p) => p.length > 0);
    if (nonEmpty.length === 0) return parts[0] ?? SocketTable.empty();
    if (nonEmpty.length === 1) return nonEmpty[0];
    const index = new Map<string, number>();
    const addresses: string[] = [];
    const c = allocColumns(
      nonEmpty.reduce((n, p) => n + p.length, 0),
      addresses,
      nonEmpty.some((p) => p.inode instanceof Float64Array),
    );
    for (const k of OPTIONAL_COLUMNS) if (nonEmpty.some((p) => p[k])) c[k] = emptyColumn(c.count);
    let at = 0;
    for (const p of nonEmpty) {
      const map = new Uint32Array(p.addresses.length);
      p.addresses.forEach((a, i) => {
        let j = index.get(a);
        if (j === undefined) {
          index.set(a, (j = addresses.length));
          addresses.push(a);
        }
        map[i] = j;
      });
      for (const k of VALUE_COLUMNS) c[k].set(p[k].subarray(0, p.length), at);
      for (const k of OPTIONAL_COLUMNS) p[k] && c[k]?.set(p[k].subarray(0, p.length), at);
      for (let i = 0; i < p.length; i++) {
        c.localAddress[at + i] = map[p.localAddress[i]];
        c.remoteAddress[at + i] = map[p.remoteAddress[i]];
      }
      at += p.length;
    }
    return new SocketTable(c);
  }

  /** The sockets for which `keep(i)` is true, in order (addresses kept as they are). */
  select(keep: (i: number) => boolean): SocketTable {
    const rows: number[] = [];
    for (let i = 0; i < this.length; i++) if (keep(i)) rows.push(i);
    const c = allocColumns(rows.length, this.addresses.slice(), this.inode instanceof Float64Array);
    for (const k of OPTIONAL_COLUMNS) if (this[k]) c[k] = new Uint32Array(rows.length);
    for (const k of [...VALUE_COLUMNS, ...OPTIONAL_COLUMNS, 'localAddress', 'remoteAddress'] as const) {
      const from = this[k];
      const to = c[k];
      if (!from || !to) continue;
      rows.forEach((i, j) => (to[j] = from[i]));
    }
    return new SocketTable(c);
  }

  /** The same sockets with these optional columns set (a capture's drops and waits, applied to its /proc rows). */
  withColumns(extra: Pick<SocketColumns, 'drops' | 'waitedMs'>): SocketTable {
    const { length: count, family, state, localPort, remotePort, localAddress, remoteAddress, rxQueue, txQueue, uid, inode, netns } = this;
    return new SocketTable({
      count, family, state, localPort, remotePort, localAddress, remoteAddress, addresses: this.addresses as string[], rxQueue, txQueue, uid, inode, netns,
      drops: extra.drops === undefined ? this.drops : extra.drops,
      waitedMs: extra.waitedMs === undefined ? this.waitedMs : extra.waitedMs,
    });
  }

  /** Socket i as an object (a new one each call). */
  at(i: number): TcpSocket {
    const s: TcpSocket = {
      family: this.family[i] === 4 ? 4 : 6,
      state: TCP_STATES[this.state[i] - 1],
      localAddress: this.addresses[this.localAddress[i]],
      localPort: this.localPort[i],
      remoteAddress: this.addresses[this.remoteAddress[i]],
      remotePort: this.remotePort[i],
      txQueue: this.txQueue[i],
      rxQueue: this.rxQueue[i],
      uid: this.uid[i],
      inode: this.inode[i],
      netns: this.netns[i],
    };
    if (this.drops && this.drops[i] !== NO_VALUE) s.drops = this.drops[i];
    if (this.waitedMs && this.waitedMs[i] !== NO_VALUE) s.waitedMs = this.waitedMs[i];
    return s;
  }

  toArray(): TcpSocket[] {
    const out: TcpSocket[] = new Array(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.at(i);
    return out;
  }

  /** Rows whose kernel state is `state` (1..11), by index. */
  countState(state: number): number {
    let n = 0;
    for (let i = 0; i < this.length; i++) if (this.state[i] === state) n++;
    return n;
  }
}

/** What carries both a sockets array and (maybe) its columns: a snapshot, a namespace read. */
export interface HasSockets {
  sockets: TcpSocket[];
  /** Columns of `sockets` when they were read as columns; read them through socketTableOf. */
  socketTable?: SocketTable;
}

/**
 * Gives `target` the table as `socketTable` (not enumerable: a copy or a JSON dump of the object
 * is unchanged) and a `sockets` array built from it on first read. Assigning `sockets` replaces
 * the array, after which socketTableOf reads the new array.
 */
export function withSocketTable<T extends object>(target: T, table: SocketTable): T & HasSockets {
  Object.defineProperty(target, 'socketTable', { value: table, enumerable: false, configurable: true, writable: true });
  Object.defineProperty(target, 'sockets', {
    enumerable: true,
    configurable: true,
    get(this: HasSockets) {
      const sockets = table.toArray();
      Object.defineProperty(this, 'sockets', { value: sockets, enumerable: true, configurable: true, writable: true });
      return sockets;
    },
    set(this: HasSockets, value: TcpSocket[]) {
      Object.defineProperty(this, 'sockets', { value, enumerable: true, configurable: true, writable: true });
    },
  });
  return target as T & HasSockets;
}

/**
 * The columns of `x.sockets`: the table it was read as while nobody has touched the array (no
 * socket objects made), else columns built from the array (which may have been replaced or edited).
 */
export function socketTableOf(x: HasSockets): SocketTable {
  const d = Object.getOwnPropertyDescriptor(x, 'sockets');
  if (x.socketTable && d && d.get) return x.socketTable;
  return SocketTable.fromSockets(x.sockets);
}

/**
 * A shallow copy of `x` with `changes` applied and its sockets narrowed to those `keep` accepts:
 * through the table (no socket objects made) while `x.sockets` was never built, else by filtering
 * the array. Never spreads `x`, which would build the array.
 */
export function withSocketsWhere<T extends HasSockets>(x: T, keep: (s: { netns: number }) => boolean, changes: Partial<T>): T {
  const descriptors = Object.getOwnPropertyDescriptors(x) as Record<string, PropertyDescriptor>;
  const lazy = x.socketTable !== undefined && descriptors.sockets?.get !== undefined;
  delete descriptors.sockets;
  delete descriptors.socketTable;
  const copy = Object.defineProperties({}, descriptors) as T;
  Object.assign(copy, changes);
  if (lazy) {
    const t = x.socketTable as SocketTable;
    const netns = { netns: 0 };
    return withSocketTable(copy, t.select((i) => ((netns.netns = t.netns[i]), keep(netns)))) as T;
  }
  copy.sockets = x.sockets.filter(keep);
  return copy;
}

/** `x.sockets.length` without building the array. */
export function socketCount(x: HasSockets): number {
  const d = Object.getOwnPropertyDescriptor(x, 'sockets');
  return x.socketTable && d && d.get ? x.socketTable.length : x.sockets.length;
}
