/**
 * `sockdoc sockets`: every TCP socket with its owners, like `ss -tanp`, plus what ss cannot say:
 * which listener's queue an unowned socket is waiting in. A connection not yet accept()ed has no
 * file (inode 0), so no process holds it (kernel-facts §1); without that link the seed's 129
 * CLOSE_WAIT sockets "with no PID" look like nobody's problem.
 *
 * @example
 * const rows = socketsToRows(snapshot, { state: 'CLOSE_WAIT', port: 8889 });
 * io.stdout(renderSocketsTable(rows, { color: false, columns: 100 }));
 */
import { terminalSafe } from '../safety/terminal.js';
import { TCP_STATES, type Listener, type Owner, type Snapshot, type TcpState } from '../snapshot/types.js';
import { findListenerOf } from '../snapshot/listeners.js';
import { NO_VALUE, socketTableOf, tcpStateNumber, type SocketTable } from '../snapshot/socket-table.js';
import { OwnerMap } from '../probe/owner-map.js';
import { hostPort, tableChunks, type Painter, painter, type RowsAt } from './format.js';
import { ByteWriter, digitCount, textPiece, type TextPiece } from './byte-writer.js';
import { waitText } from '../rules/support/text.js';

export interface SocketOwner {
  pid: number;
  /** Process name; null when the process was not seen (vanished, or filtered out of the snapshot). */
  name: string | null;
  fd: number;
}

export interface SocketRow {
  state: TcpState;
  /** "addr:port", IPv6 in brackets: "[::1]:8080". */
  local: string;
  remote: string;
  /** LISTEN: accept-queue length. Otherwise unread bytes. */
  recvQ: number;
  /** LISTEN: backlog limit (sk_max_ack_backlog), null when unknown. Otherwise unacknowledged bytes. */
  sendQ: number | null;
  inode: number;
  owners: SocketOwner[];
  /** Inode of the socket's network namespace (the snapshot's namespaces[].inode). */
  netns: number;
  /** How its namespace is known: "host", an `ip netns` name, a container or pod name. */
  namespace: string;
  /** Unowned SYN_RECV / ESTABLISHED / CLOSE_WAIT: the listener whose queue holds it, and who holds that. */
  waitingOn?: WaitingOn;
  /** A connection in an accept queue: ms since its handshake completed (from sock_diag only). */
  waitedMs?: number;
  /** LISTEN: handshakes dropped on it since it was opened (sk_drops; from sock_diag only). */
  drops?: number;
}

export interface WaitingOn {
  /** "addr:port" of the listener. */
  listener: string;
  /** Processes holding the listener: the ones whose accept() this socket waits for. */
  owners: Array<{ pid: number; name: string | null }>;
}

export interface SocketFilter {
  state?: TcpState;
  /** Local or remote port. */
  port?: number;
  /** Held by this process, or waiting in the queue of a listener it holds. */
  pid?: number;
}

/** A string that sorts like the address numerically: IPv4 before IPv6, each part zero-padded. */
export function addressSortKey(address: string): string {
  if (!address.includes(':')) return '4:' + address.split('.').map((o) => o.padStart(3, '0')).join('.');
  let text = address;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = text.slice(0, v4.index) + ((a << 8) | b).toString(16) + ':' + ((c << 8) | d).toString(16);
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  return '6:' + groups.map((g) => g.padStart(4, '0')).join(':');
}

const STATE_RANK = new Map(TCP_STATES.map((s, i) => [s, s === 'LISTEN' ? -1 : i]));
/** Sort rank by kernel state number (1..11): LISTEN first, then the kernel's order. */
const RANK_OF_NUMBER = TCP_STATES.map((s) => STATE_RANK.get(s)!);
const LISTEN = TCP_STATES.indexOf('LISTEN') + 1;
const SYN_RECV = TCP_STATES.indexOf('SYN_RECV') + 1;
const ESTABLISHED = TCP_STATES.indexOf('ESTABLISHED') + 1;
const CLOSE_WAIT = TCP_STATES.indexOf('CLOSE_WAIT') + 1;

/**
 * The sockets matching a filter, in display order, read from the snapshot's socket columns: no
 * object per socket and none per row. `row(k)` makes row k as an object of its own (tests, small
 * outputs); `at(k)` fills one reused object, read before the next call (the streamed table and
 * JSON of `sockdoc sockets`, whatever the number of sockets).
 */
export class SocketRows {
  /** Rows per state, in the order of the count line (LISTEN first, then the kernel's order). */
  readonly perState: ReadonlyArray<readonly [TcpState, number]>;
  /** Rows of more than one network namespace (the table gets a Netns column). */
  readonly manyNamespaces: boolean;
  private readonly cursor: SocketRow;
  private readonly pool: SocketOwner[] = [];

  constructor(
    private readonly t: SocketTable,
    /** Table index of each row, in display order. */
    private readonly order: Uint32Array,
    /** Index in `listeners` of the listener each table index is (LISTEN) or waits on; -1: none. Indexed by table index. */
    private readonly listenerOf: Int32Array,
    private readonly listeners: readonly Listener[],
    private readonly holders: Holders,
    private readonly names: ReadonlyMap<number, string>,
    private readonly nsName: ReadonlyMap<number, string>,
    private readonly firstName: string,
  ) {
    this.prefixes = t.addresses.map((a) => hostPort(a, 0).slice(0, -1));
    const counts = new Map<number, number>();
    let firstNetns: number | undefined;
    let many = false;
    for (const i of order) {
      const st = t.state[i];
      counts.set(st, (counts.get(st) ?? 0) + 1);
      if (firstNetns === undefined) firstNetns = t.netns[i];
      else if (t.netns[i] !== firstNetns) many = true;
    }
    this.manyNamespaces = many;
    this.perState = [...counts].sort(([a], [b]) => RANK_OF_NUMBER[a - 1] - RANK_OF_NUMBER[b - 1]).map(([st, n]) => [TCP_STATES[st - 1], n] as const);
    this.cursor = { state: 'LISTEN', local: '', remote: '', recvQ: 0, sendQ: 0, inode: 0, owners: [], netns: 0, namespace: '', drops: undefined, waitedMs: undefined, waitingOn: undefined };
  }

  /** "addr:" of each address of the table (IPv6 in brackets), made once. */
  private readonly prefixes: string[];

  /** Shared waitingOn of each listener (by index in `listeners`). */
  private readonly waiting = new Map<number, WaitingOn>();

  get length(): number {
    return this.order.length;
  }

  /** Row k in `into`; owners from `ownerAt` (fresh objects, or the cursor's reused ones). */
  private fill(k: number, into: SocketRow, fresh: boolean): SocketRow {
    const t = this.t;
    const i = this.order[k];
    const st = t.state[i];
    const listen = st === LISTEN;
    const li = this.listenerOf[i];
    const listener = li >= 0 ? this.listeners[li] : undefined;
    into.state = TCP_STATES[st - 1];
    into.local = this.prefixes[t.localAddress[i]] + t.localPort[i];
    into.remote = this.prefixes[t.remoteAddress[i]] + t.remotePort[i];
    into.recvQ = t.rxQueue[i];
    // /proc has no backlog limit (tx_queue is 0 for LISTEN): only sock_diag or ss know it.
    into.sendQ = listen ? listener?.backlog ?? null : t.txQueue[i];
    into.inode = t.inode[i];
    const owners = fresh ? [] : into.owners;
    owners.length = 0;
    const single = this.holders.pid[i];
    const holders = single === MANY ? this.holders.many.get(i)! : null;
    const count = single === NONE ? 0 : holders === null ? 1 : holders.length;
    for (let j = 0; j < count; j++) {
      const pid = holders === null ? single : holders[j].pid;
      const fd = holders === null ? this.holders.fd[i] : holders[j].fd;
      const name = this.names.get(pid) ?? null;
      let o: SocketOwner;
      if (fresh) o = { pid, name, fd };
      else {
        o = this.pool[j] ??= { pid, name, fd };
        o.pid = pid;
        o.name = name;
        o.fd = fd;
      }
      owners.push(o);
    }
    into.owners = owners;
    const netns = t.netns[i];
    into.netns = netns;
    into.namespace = this.nsName.get(netns) ?? this.firstName;
    const drops = t.drops === null || t.drops[i] === NO_VALUE ? undefined : t.drops[i];
    const waitedMs = t.waitedMs === null || t.waitedMs[i] === NO_VALUE ? undefined : t.waitedMs[i];
    const waitingOn = !listen && listener ? this.waitingOn(li) : undefined;
    if (fresh) {
      // Absent, not undefined: the objects of before (deepEqual, Object.keys) are unchanged.
      if (drops !== undefined) into.drops = drops;
      if (waitedMs !== undefined) into.waitedMs = waitedMs;
      if (waitingOn !== undefined) into.waitingOn = waitingOn;
    } else {
      into.drops = drops;
      into.waitedMs = waitedMs;
      into.waitingOn = waitingOn;
    }
    return into;
  }

  /** The shared waitingOn of listener `li` (index in `listeners`). */
  private waitingOn(li: number): WaitingOn {
    let w = this.waiting.get(li);
    if (w === undefined) {
      const l = this.listeners[li];
      w = { listener: hostPort(l.address, l.port), owners: l.pids.map((pid) => ({ pid, name: this.names.get(pid) ?? null })) };
      this.waiting.set(li, w);
    }
    return w;
  }

  /**
   * The JSON array of the rows as UTF-8 bytes, `rowsPerChunk` rows a piece: the bytes of
   * JSON.stringify(this.toArray()) (a test holds the two equal), read from the columns without a
   * row object. What rows share (an address, a state, a holder's pid and name, a namespace, a
   * listener's waitingOn) is encoded once; numbers are written as digits.
   */
  *jsonBytes(rowsPerChunk: number): Generator<Uint8Array> {
    const t = this.t;
    const w = new ByteWriter(rowsPerChunk * 256);
    const address = this.prefixes.map((p) => bytesOf(JSON.stringify(p).slice(0, -1)));
    const states: Uint8Array[] = [];
    const owners = new Map<number, Uint8Array>();
    const namespaces = new Map<number, Uint8Array>();
    const waiting = new Map<number, Uint8Array>();
    const owner = (pid: number): Uint8Array => {
      let h = owners.get(pid);
      if (h === undefined) {
        const name = this.names.get(pid);
        owners.set(pid, (h = bytesOf(`{"pid":${pid},"name":${name === undefined ? 'null' : JSON.stringify(name)},"fd":`)));
      }
      return h;
    };
    w.byte(0x5b); // [
    for (let k = 0, n = 0; k < this.order.length; k++) {
      if (k > 0) w.byte(0x2c); // ,
      const i = this.order[k];
      const st = t.state[i];
      const li = this.listenerOf[i];
      const listen = st === LISTEN;
      w.bytes((states[st] ??= bytesOf(`{"state":${JSON.stringify(TCP_STATES[st - 1])},"local":`)));
      w.bytes(address[t.localAddress[i]]);
      w.uint(t.localPort[i]);
      w.bytes(J_REMOTE);
      w.bytes(address[t.remoteAddress[i]]);
      w.uint(t.remotePort[i]);
      w.bytes(J_RECVQ);
      w.uint(t.rxQueue[i]);
      w.bytes(J_SENDQ);
      const sendQ = listen ? (li >= 0 ? this.listeners[li].backlog : null) : t.txQueue[i];
      if (sendQ === null) w.bytes(J_NULL);
      else w.uint(sendQ);
      w.bytes(J_INODE);
      w.uint(t.inode[i]);
      w.bytes(J_OWNERS);
      const pid = this.holders.pid[i];
      if (pid >= 0) {
        w.bytes(owner(pid));
        w.uint(this.holders.fd[i]);
        w.byte(0x7d); // }
      } else if (pid === MANY) {
        const many = this.holders.many.get(i)!;
        for (let j = 0; j < many.length; j++) {
          if (j > 0) w.byte(0x2c);
          w.bytes(owner(many[j].pid));
          w.uint(many[j].fd);
          w.byte(0x7d);
        }
      }
      const netns = t.netns[i];
      let tail = namespaces.get(netns);
      if (tail === undefined) namespaces.set(netns, (tail = bytesOf(`],"netns":${netns},"namespace":${JSON.stringify(this.nsName.get(netns) ?? this.firstName)}`)));
      w.bytes(tail);
      if (t.drops !== null && t.drops[i] !== NO_VALUE) {
        w.bytes(J_DROPS);
        w.uint(t.drops[i]);
      }
      if (t.waitedMs !== null && t.waitedMs[i] !== NO_VALUE) {
        w.bytes(J_WAITED);
        w.uint(t.waitedMs[i]);
      }
      if (!listen && li >= 0) {
        let on = waiting.get(li);
        if (on === undefined) waiting.set(li, (on = bytesOf(',"waitingOn":' + JSON.stringify(this.waitingOn(li)))));
        w.bytes(on);
      }
      w.byte(0x7d);
      if (++n >= rowsPerChunk) {
        yield w.take();
        n = 0;
      }
    }
    w.byte(0x5d); // ]
    yield w.take();
  }

  /**
   * The sockets table (header and rows, without the count line) as UTF-8 bytes, `rowsPerChunk`
   * rows a piece: the bytes socketsTableChunks makes of the row objects (a test holds the two
   * equal, in colour or not), every cell escaped, widths from cellWidths. What rows share (an
   * address, a holder's pid and name, a listener's text, a namespace) is escaped and encoded once.
   */
  *tableBytes(netns: boolean, color: boolean, rowsPerChunk: number): Generator<Uint8Array> {
    const t = this.t;
    const w = new ByteWriter(rowsPerChunk * 160);
    const headers = [...(netns ? ['Netns'] : []), 'State', 'Recv-Q', 'Send-Q', 'Local', 'Peer', 'Process'];
    const measured = this.cellWidths(netns);
    const widths = headers.map((h, c) => Math.max(h.length, measured[c]));
    const [stateW, recvW, sendW, localW, peerW] = widths.slice(netns ? 1 : 0);
    const prefixes = this.prefixes.map((p) => textPiece(terminalSafe(p)));
    const stateNames = TCP_STATES.map((s) => textPiece(s));
    const namespaces = new Map<number, TextPiece>();
    const owners = new Map<number, Uint8Array>();
    const unowned = new Map<string, Uint8Array>();
    const left = (p: TextPiece, width: number): void => {
      w.bytes(p.bytes);
      w.spaces(width - p.length);
    };
    // The header: every cell dim in colour, its padding inside the paint (as the Painter pads it).
    headers.forEach((h, c) => {
      if (c > 0) w.bytes(GAP);
      const last = c === headers.length - 1;
      const text = h === 'Recv-Q' || h === 'Send-Q' ? h.padStart(widths[c]) : last ? h : h.padEnd(widths[c]);
      w.bytes(bytesOf(color ? `${SGR_DIM}${text}${SGR_RESET}` : text));
    });
    w.byte(0x0a);
    for (let k = 0, n = 0; k < this.order.length; k++) {
      const i = this.order[k];
      const start = w.pos;
      const st = t.state[i];
      const listen = st === LISTEN;
      const li = this.listenerOf[i];
      if (netns) {
        const ns = t.netns[i];
        let name = namespaces.get(ns);
        if (name === undefined) namespaces.set(ns, (name = textPiece(terminalSafe(this.nsName.get(ns) ?? this.firstName))));
        left(name, widths[0]);
        w.bytes(GAP);
      }
      left(stateNames[st - 1], stateW);
      w.bytes(GAP);
      // Recv-Q: red (with its padding) on a listener whose queue is past its backlog.
      const rx = t.rxQueue[i];
      const backlog = li >= 0 ? this.listeners[li].backlog : null;
      const over = color && listen && backlog !== null && rx > backlog;
      if (over) w.bytes(B_RED);
      w.spaces(recvW - digitCount(rx));
      w.uint(rx);
      if (over) w.bytes(B_RESET);
      w.bytes(GAP);
      if (!listen) {
        w.spaces(sendW - digitCount(t.txQueue[i]));
        w.uint(t.txQueue[i]);
      } else if (backlog === null) {
        w.spaces(sendW - 1);
        w.byte(0x3f); // ?
      } else {
        w.spaces(sendW - digitCount(backlog));
        w.uint(backlog);
      }
      w.bytes(GAP);
      const local = prefixes[t.localAddress[i]];
      w.bytes(local.bytes);
      w.uint(t.localPort[i]);
      w.spaces(localW - local.length - digitCount(t.localPort[i]));
      w.bytes(GAP);
      // A listener has no peer: "*" as ss prints it, rather than a port 0 that looks like data.
      const peer = prefixes[t.remoteAddress[i]];
      w.bytes(peer.bytes);
      const rp = t.remotePort[i];
      if (listen && rp === 0) w.byte(0x2a); // *
      else w.uint(rp);
      w.spaces(peerW - peer.length - (listen && rp === 0 ? 1 : digitCount(rp)));
      w.bytes(GAP);
      const pid = this.holders.pid[i];
      if (pid >= 0) {
        let p = owners.get(pid);
        if (p === undefined) owners.set(pid, (p = bytesOf(terminalSafe(ownersText([{ pid, name: this.names.get(pid) ?? null, fd: 0 }]).slice(0, -1)))));
        w.bytes(p);
        w.uint(this.holders.fd[i]);
      } else {
        if (color && pid === NONE) w.bytes(B_DIM);
        if (pid === MANY) w.bytes(bytesOf(terminalSafe(ownersText(this.row(k).owners))));
        else if (t.waitedMs !== null && t.waitedMs[i] !== NO_VALUE) w.bytes(bytesOf(terminalSafe(unownedText(this.row(k)))));
        else {
          const key = `${li}|${st}|${t.inode[i] === 0}`;
          let u = unowned.get(key);
          if (u === undefined) unowned.set(key, (u = bytesOf(terminalSafe(unownedText(this.row(k))))));
          w.bytes(u);
        }
        if (color && pid === NONE) w.bytes(B_RESET);
      }
      // No trailing white space: only a last cell ending in it (or in a character past ASCII, which
      // may be Unicode space) needs a look, as the string table trims it.
      const end = w.at(w.pos - 1);
      if (end === 0x20 || (end >= 9 && end <= 13) || end >= 0x80) {
        const line = w.textFrom(start);
        const trimmed = line.trimEnd();
        if (trimmed !== line) {
          w.rewind(start);
          w.bytes(Buffer.from(trimmed, 'utf8'));
        }
      }
      w.byte(0x0a);
      if (++n >= rowsPerChunk) {
        yield w.take();
        n = 0;
      }
    }
    if (w.pos > 0) yield w.take();
  }

  /** Row k as an object of its own. */
  row(k: number): SocketRow {
    return this.fill(k, { state: 'LISTEN', local: '', remote: '', recvQ: 0, sendQ: 0, inode: 0, owners: [], netns: 0, namespace: '' }, true);
  }

  /** Row k in the one reused object (absent fields are undefined): valid until the next call. */
  at(k: number): SocketRow {
    return this.fill(k, this.cursor, false);
  }

  /**
   * The widest escaped cell of each column of the sockets table (Netns first when `netns`), as
   * the table's cells would measure, from the columns: the table then skips making every cell
   * twice. Host text (names, a capture's addresses) is measured escaped, once per distinct piece.
   */
  cellWidths(netns: boolean): number[] {
    const t = this.t;
    const prefixLen = this.prefixes.map((p) => terminalSafe(p).length);
    const nsLen = new Map<number, number>();
    const ownerLen = new Map<number, number>();
    const unowned = new Map<string, number>();
    let ns = 0, state = 0, recvQ = 0, sendQ = 0, local = 0, peer = 0, proc = 0;
    for (let k = 0; k < this.order.length; k++) {
      const i = this.order[k];
      const st = t.state[i];
      const listen = st === LISTEN;
      if (netns) {
        let w = nsLen.get(t.netns[i]);
        if (w === undefined) nsLen.set(t.netns[i], (w = terminalSafe(this.nsName.get(t.netns[i]) ?? this.firstName).length));
        if (w > ns) ns = w;
      }
      if (TCP_STATES[st - 1].length > state) state = TCP_STATES[st - 1].length;
      recvQ = Math.max(recvQ, digitCount(t.rxQueue[i]));
      const li = this.listenerOf[i];
      const backlog = li >= 0 ? this.listeners[li].backlog : null;
      sendQ = Math.max(sendQ, !listen ? digitCount(t.txQueue[i]) : backlog === null ? 1 : digitCount(backlog));
      local = Math.max(local, prefixLen[t.localAddress[i]] + digitCount(t.localPort[i]));
      // A listener's peer port 0 is shown as "*": one character either way.
      peer = Math.max(peer, prefixLen[t.remoteAddress[i]] + (listen && t.remotePort[i] === 0 ? 1 : digitCount(t.remotePort[i])));
      const pid = this.holders.pid[i];
      let w: number;
      if (pid >= 0) {
        let p = ownerLen.get(pid);
        if (p === undefined) ownerLen.set(pid, (p = terminalSafe(ownersText([{ pid, name: this.names.get(pid) ?? null, fd: 0 }])).length - 1));
        w = p + digitCount(this.holders.fd[i]);
      } else if (pid === MANY) w = terminalSafe(ownersText(this.row(k).owners)).length;
      else if (t.waitedMs !== null && t.waitedMs[i] !== NO_VALUE) w = terminalSafe(unownedText(this.row(k))).length;
      else {
        const key = `${li}|${st}|${t.inode[i] === 0}`;
        let u = unowned.get(key);
        if (u === undefined) unowned.set(key, (u = terminalSafe(unownedText(this.row(k))).length));
        w = u;
      }
      if (w > proc) proc = w;
    }
    return [...(netns ? [ns] : []), state, recvQ, sendQ, local, peer, proc];
  }

  toArray(): SocketRow[] {
    const out = new Array<SocketRow>(this.length);
    for (let k = 0; k < out.length; k++) out[k] = this.row(k);
    return out;
  }
}

/**
 * The sockets matching `filter`, sorted: listeners first by port, then by local port, state, peer
 * (addresses numerically, as `addressSortKey`), inode last so the order never depends on the order
 * of /proc/net/tcp. Rows without an owner that wait on the same listener share one (read-only)
 * `waitingOn`. Reads the snapshot's socket columns (socketTableOf): a live snapshot's sockets are
 * never made into objects.
 */
export function selectSockets(snapshot: Snapshot, filter: SocketFilter = {}): SocketRows {
  const t = socketTableOf(snapshot);
  const names = new Map<number, string>();
  for (const p of snapshot.processes) names.set(p.pid, p.name);
  const listeners = snapshot.listeners;
  const byInode = new Map<string, number>();
  // A queued connection waits on a listener of its own namespace: one port map per namespace.
  const byNsPort = new Map<number, Map<number, Listener[]>>();
  const index = new Map<Listener, number>();
  listeners.forEach((l, li) => {
    index.set(l, li);
    byInode.set(`${l.family}|${l.address}|${l.port}|${l.inode}`, li);
    let byPort = byNsPort.get(l.netns);
    if (!byPort) byNsPort.set(l.netns, (byPort = new Map()));
    const same = byPort.get(l.port);
    if (same) same.push(l);
    else byPort.set(l.port, [l]);
  });
  const nsRank = new Map<number, number>();
  const nsName = new Map<number, string>();
  (snapshot.namespaces ?? []).forEach((n, i) => {
    nsRank.set(n.inode, i);
    nsName.set(n.inode, n.name);
  });
  const firstName = snapshot.namespaces?.[0]?.name ?? 'host';
  const wantState = filter.state === undefined ? 0 : tcpStateNumber(filter.state);
  const n = t.length;
  const listenerOf = new Int32Array(n).fill(-1);
  const picked = new Uint32Array(n);
  let count = 0;
  // State and port first: what they leave out costs no owner lookup, no address rank, no sort.
  for (let i = 0; i < n; i++) {
    const st = t.state[i];
    if (wantState !== 0 && st !== wantState) continue;
    const lp = t.localPort[i];
    if (filter.port !== undefined && lp !== filter.port && t.remotePort[i] !== filter.port) continue;
    const inode = t.inode[i];
    let li = -1;
    if (st === LISTEN) li = byInode.get(`${t.family[i] === 4 ? 4 : 6}|${t.addresses[t.localAddress[i]]}|${lp}|${inode}`) ?? -1;
    else if (inode === 0 && (st === SYN_RECV || st === ESTABLISHED || st === CLOSE_WAIT)) {
      const byPort = byNsPort.get(t.netns[i]);
      const l = byPort ? findListenerOf(byPort, t.family[i], t.addresses[t.localAddress[i]], lp) : undefined;
      if (l) li = index.get(l)!;
    }
    listenerOf[i] = li;
    picked[count++] = i;
  }
  const holders = holdersOf(snapshot.owners, t, picked, count);
  if (filter.pid !== undefined) {
    const pid = filter.pid;
    let kept = 0;
    for (let k = 0; k < count; k++) {
      const i = picked[k];
      const single = holders.pid[i];
      const held = single === MANY ? holders.many.get(i)!.some((o) => o.pid === pid) : single === pid;
      const li = listenerOf[i];
      const queued = t.state[i] !== LISTEN && li >= 0 && listeners[li].pids.includes(pid);
      if (held || queued) picked[kept++] = i;
    }
    count = kept;
  }
  const order = sortedRows(t, picked.subarray(0, count), nsRank);
  return new SocketRows(t, order, listenerOf, listeners, holders, names, nsName, firstName);
}

/** Who holds each socket of the table, by table index: one holder (nearly every socket) as two numbers. */
interface Holders {
  /** The one holder's pid; NONE; or MANY (then `many` has them). */
  pid: Int32Array;
  fd: Int32Array;
  many: Map<number, Owner[]>;
}
const NONE = -1;
const MANY = -2;

const bytesOf = (text: string): Uint8Array => Buffer.from(text, 'utf8');
const J_REMOTE = bytesOf('","remote":');
const J_RECVQ = bytesOf('","recvQ":');
const J_SENDQ = bytesOf(',"sendQ":');
const J_NULL = bytesOf('null');
const J_INODE = bytesOf(',"inode":');
const J_OWNERS = bytesOf(',"owners":[');
const J_DROPS = bytesOf(',"drops":');
const J_WAITED = bytesOf(',"waitedMs":');
const GAP = bytesOf('  ');
// The Painter's SGR sequences (format.ts), as bytes.
const SGR_DIM = '\x1b[2m';
const SGR_RESET = '\x1b[0m';
const B_DIM = bytesOf(SGR_DIM);
const B_RED = bytesOf('\x1b[31m');
const B_RESET = bytesOf(SGR_RESET);

/**
 * The holders of the picked sockets (table indices), looked up once each: an OwnerMap (a live
 * read) is asked without making its Owner arrays, which a million sockets would each get.
 */
function holdersOf(owners: ReadonlyMap<number, Owner[]>, t: SocketTable, picked: Uint32Array, count: number): Holders {
  const n = t.length;
  const h: Holders = { pid: new Int32Array(n).fill(NONE), fd: new Int32Array(n), many: new Map() };
  const map = owners instanceof OwnerMap ? owners : null;
  let at = 0;
  const first = (pid: number, fd: number): void => {
    if (h.pid[at] !== NONE) return;
    h.pid[at] = pid;
    h.fd[at] = fd;
  };
  for (let k = 0; k < count; k++) {
    const i = picked[k];
    const inode = t.inode[i];
    if (inode === 0) continue;
    if (map) {
      at = i;
      if (map.forEachHolder(inode, first) > 1) {
        h.pid[i] = MANY;
        h.many.set(i, map.get(inode)!);
      }
      continue;
    }
    const list = owners.get(inode);
    if (!list || list.length === 0) continue;
    if (list.length > 1) {
      h.pid[i] = MANY;
      h.many.set(i, list);
    } else {
      h.pid[i] = list[0].pid;
      h.fd[i] = list[0].fd;
    }
  }
  return h;
}

/**
 * The picked rows (table indices) in display order: namespace, listeners first, local port, local
 * address, state, peer address, peer port, inode; addresses numerically (addressSortKey), ranked
 * once per distinct address the rows use (a filter's few rows rank a few addresses).
 */
function sortedRows(t: SocketTable, picked: Uint32Array, nsRank: ReadonlyMap<number, number>): Uint32Array {
  const count = picked.length;
  // Rank the distinct addresses the rows use (IPv4 before IPv6, numerically).
  const used = new Uint8Array(t.addresses.length);
  for (let k = 0; k < count; k++) {
    const i = picked[k];
    used[t.localAddress[i]] = 1;
    used[t.remoteAddress[i]] = 1;
  }
  const distinct: Array<{ i: number; key: string }> = [];
  for (let a = 0; a < used.length; a++) if (used[a]) distinct.push({ i: a, key: addressSortKey(t.addresses[a]) });
  distinct.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  const rank = new Uint32Array(t.addresses.length);
  for (let k = 0, r = 0; k < distinct.length; k++) {
    if (k > 0 && distinct[k].key !== distinct[k - 1].key) r++;
    rank[distinct[k].i] = r;
  }
  const span = distinct.length + 1;
  // (namespace, listener?, local port, local address, state) in one exact integer:
  // namespaces * 2^17 * span * 16 < 2^53 for any real host; (peer address, peer port) in another.
  const major = new Float64Array(count);
  const minor = new Float64Array(count);
  const order = new Uint32Array(count);
  const one = nsRank.size <= 1;
  for (let k = 0; k < count; k++) {
    const i = picked[k];
    const st = t.state[i];
    const port = st === LISTEN ? t.localPort[i] : 65536 + t.localPort[i];
    major[k] = (((one ? 0 : (nsRank.get(t.netns[i]) ?? 0)) * 131072 + port) * span + rank[t.localAddress[i]]) * 16 + RANK_OF_NUMBER[st - 1] + 1;
    minor[k] = rank[t.remoteAddress[i]] * 65536 + t.remotePort[i];
    order[k] = k;
  }
  const inode = t.inode;
  // A small comparator V8 optimizes after a few calls: a run of one command is mostly cold code,
  // where a counting sort's long loops waited for on-stack replacement (measured slower at load).
  order.sort((a, b) => major[a] - major[b] || minor[a] - minor[b] || inode[picked[a]] - inode[picked[b]]);
  for (let k = 0; k < count; k++) order[k] = picked[order[k]];
  return order;
}

/** selectSockets as objects, one per row. */
export function socketsToRows(snapshot: Snapshot, filter: SocketFilter = {}): SocketRow[] {
  return selectSockets(snapshot, filter).toArray();
}

/** "37482/server fd=3", several fds of one process as "fd=3,7", processes joined by ", ". */
export function ownersText(owners: readonly SocketOwner[]): string {
  if (owners.length === 1) {
    const o = owners[0];
    return `${o.name ? `${o.pid}/${o.name}` : o.pid} fd=${o.fd}`;
  }
  const byPid = new Map<number, { name: string | null; fds: number[] }>();
  for (const o of owners) {
    const e = byPid.get(o.pid) ?? { name: o.name, fds: [] };
    e.fds.push(o.fd);
    byPid.set(o.pid, e);
  }
  return [...byPid].map(([pid, e]) => `${e.name ? `${pid}/${e.name}` : pid} fd=${e.fds.join(',')}`).join(', ');
}

/** Why a socket has no owner, in the Process column. */
export function unownedText(row: SocketRow): string {
  const w = row.waitingOn;
  if (w) {
    const of = w.owners.map((o) => (o.name ? ` ${o.pid}/${o.name}` : ` ${o.pid}`)).join(',');
    if (row.state === 'SYN_RECV') return `(handshake pending: ${w.listener}${of})`;
    return `(not accepted yet: ${w.listener}${of}${row.waitedMs === undefined ? '' : `; waiting ${waitText(row.waitedMs)}`})`;
  }
  if (row.inode !== 0) return '(owner not visible)';
  if (row.state === 'TIME_WAIT') return '(time-wait: no process)';
  if (row.state === 'FIN_WAIT1' || row.state === 'FIN_WAIT2' || row.state === 'LAST_ACK' || row.state === 'CLOSING') return '(orphan: closed by its process)';
  return '-';
}

/**
 * The Process column's text for each row, as `ownersText` / `unownedText` give it, escaped
 * (terminalSafe). Thousands of rows share a process or a listener: their common text is made and
 * escaped once, not once per row.
 */
function processColumn(): (row: SocketRow) => string {
  const prefixes = new Map<number, { name: string | null; prefix: string }>();
  const queued = new Map<WaitingOn, string>();
  const pending = new Map<WaitingOn, string>();
  return (row) => {
    const owners = row.owners;
    if (owners.length === 1) {
      const { pid, name, fd } = owners[0];
      let p = prefixes.get(pid);
      if (p === undefined || p.name !== name) prefixes.set(pid, (p = { name, prefix: terminalSafe(ownersText([{ pid, name, fd: 0 }]).slice(0, -1)) }));
      return p.prefix + fd;
    }
    if (owners.length > 1) return terminalSafe(ownersText(owners));
    const w = row.waitingOn;
    if (w === undefined || row.waitedMs !== undefined) return terminalSafe(unownedText(row));
    const cache = row.state === 'SYN_RECV' ? pending : queued;
    let text = cache.get(w);
    if (text === undefined) cache.set(w, (text = terminalSafe(unownedText(row))));
    return text;
  };
}

export interface SocketsTableOptions {
  color: boolean;
  columns: number;
}

/** The table, then one line counting rows per state. */
export function renderSocketsTable(rows: readonly SocketRow[], opts: SocketsTableOptions): string {
  return [...socketsTableChunks({ length: rows.length, at: (k) => rows[k] }, opts)].join('');
}

/**
 * renderSocketsTable in pieces of a few hundred lines (as the JSON's, for the cache), made as they are asked for (the streamed
 * output of `sockdoc sockets`): from a SocketRows, no row is ever held beyond its line.
 */
export function* socketsTableChunks(rows: RowsAt<SocketRow>, opts: SocketsTableOptions): Generator<string | Uint8Array> {
  const paint: Painter = painter(opts.color);
  if (rows.length === 0) {
    yield 'No sockets match.\n';
    return;
  }
  const set = rows instanceof SocketRows ? rows : null;
  let manyNamespaces = set?.manyNamespaces;
  if (manyNamespaces === undefined) {
    const first = rows.at(0).netns;
    manyNamespaces = false;
    for (let k = 1; k < rows.length && !manyNamespaces; k++) manyNamespaces = rows.at(k).netns !== first;
  }
  // From the columns: bytes (SocketRows.tableBytes); rows given as objects: the string table.
  if (set) yield* set.tableBytes(manyNamespaces, opts.color, 256);
  else {
    const chunks = tableChunks(
      rows,
      [
        ...(manyNamespaces ? [{ header: 'Netns', cell: (r: SocketRow) => r.namespace }] : []),
        { header: 'State', cell: (r) => r.state, escaped: true },
        { header: 'Recv-Q', align: 'right', cell: (r) => String(r.recvQ), style: (r) => (r.state === 'LISTEN' && r.sendQ !== null && r.recvQ > r.sendQ ? 'red' : null), escaped: true },
        { header: 'Send-Q', align: 'right', cell: (r) => (r.sendQ === null ? '?' : String(r.sendQ)), escaped: true },
        { header: 'Local', cell: (r) => r.local },
        // A listener has no peer: "*" as ss prints it, rather than a port 0 that looks like data.
        { header: 'Peer', cell: (r) => (r.state === 'LISTEN' ? r.remote.replace(/:0$/, ':*') : r.remote) },
        { header: 'Process', cell: processColumn(), style: (r) => (r.owners.length ? null : 'dim'), escaped: true },
      ],
      paint,
      '',
      256,
    );
    // Every cell is escaped (by tableChunks, or by its column: `escaped`), and nothing but padding
    // and our own colours is added around them: no terminalGuard pass over every byte again.
    yield* chunks;
  }
  let perState = set?.perState;
  if (perState === undefined) {
    const counts = new Map<TcpState, number>();
    for (let k = 0; k < rows.length; k++) {
      const st = rows.at(k).state;
      counts.set(st, (counts.get(st) ?? 0) + 1);
    }
    perState = [...counts].sort(([a], [b]) => STATE_RANK.get(a)! - STATE_RANK.get(b)!);
  }
  yield paint('dim', `${rows.length} socket${rows.length === 1 ? '' : 's'}: ${perState.map(([s, n]) => `${n} ${s}`).join(', ')}`) + '\n';
}

/**
 * The JSON array of the rows (`sockdoc sockets --json`), in pieces of a few hundred rows (joins of
 * pieces that stay in the CPU's cache: 256 rows a piece took ~40% less time than 4096 at 100k): the same
 * bytes as JSON.stringify of socketsToRows, made row by row from pieces each made once (a state, an
 * owner's pid and name, a listener's waitingOn, a namespace) rather than by JSON.stringify of an
 * object per row.
 */
export function* socketsJsonChunks(rows: RowsAt<SocketRow>, rowsPerChunk = 256): Generator<string | Uint8Array> {
  if (rows instanceof SocketRows) {
    yield* rows.jsonBytes(rowsPerChunk);
    return;
  }
  const json = rowJson();
  yield* jsonArrayChunks(rows.length, (k, out) => json(rows.at(k), out), rowsPerChunk);
}

/**
 * A JSON array of `count` rows, `rowsPerChunk` rows a piece: `row(k, out)` appends row k's JSON to
 * `out` in pieces, joined once per chunk (a join copies each piece once).
 */
export function* jsonArrayChunks(count: number, row: (k: number, out: string[]) => void, rowsPerChunk: number): Generator<string> {
  const out: string[] = ['['];
  for (let k = 0, n = 0; k < count; k++) {
    if (k > 0) out.push(',');
    row(k, out);
    if (++n >= rowsPerChunk) {
      yield out.join('');
      out.length = 0;
      n = 0;
    }
  }
  out.push(']');
  yield out.join('');
}

/**
 * Appends JSON.stringify(row) for a SocketRow to `out` in pieces (keys in its order, absent and
 * undefined fields left out), its repeated parts made once. Pieces, not one concatenated string:
 * a join copies each piece once, where concatenation makes a tree of ropes to flatten.
 */
function rowJson(): (row: SocketRow, out: string[]) => void {
  const strings = new Map<string, string>();
  const str = (s: string): string => {
    let j = strings.get(s);
    if (j === undefined) {
      j = JSON.stringify(s);
      if (strings.size < 65536) strings.set(s, j);
    }
    return j;
  };
  const owner = new Map<number, { name: string | null; head: string }>();
  const waits = new Map<WaitingOn, string>();
  const tails = new Map<string, string>();
  return (r, out) => {
    out.push('{"state":', str(r.state), ',"local":', JSON.stringify(r.local), ',"remote":', JSON.stringify(r.remote), ',"recvQ":', String(r.recvQ), ',"sendQ":', String(r.sendQ), ',"inode":', String(r.inode), ',"owners":[');
    for (let j = 0; j < r.owners.length; j++) {
      const o = r.owners[j];
      let h = owner.get(o.pid);
      if (h === undefined || h.name !== o.name) owner.set(o.pid, (h = { name: o.name, head: `{"pid":${o.pid},"name":${o.name === null ? 'null' : str(o.name)},"fd":` }));
      out.push(j > 0 ? ',' : '', h.head, String(o.fd), '}');
    }
    let tail = tails.get(r.namespace);
    if (tail === undefined) tails.set(r.namespace, (tail = ',"namespace":' + str(r.namespace)));
    out.push('],"netns":', String(r.netns), tail);
    if (r.drops !== undefined) out.push(',"drops":', String(r.drops));
    if (r.waitedMs !== undefined) out.push(',"waitedMs":', String(r.waitedMs));
    if (r.waitingOn !== undefined) {
      let w = waits.get(r.waitingOn);
      if (w === undefined) waits.set(r.waitingOn, (w = ',"waitingOn":' + JSON.stringify(r.waitingOn)));
      out.push(w);
    }
    out.push('}');
  };
}
