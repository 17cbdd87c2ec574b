/**
 * `sockdoc sockets --unix`: every unix-domain socket with its owners, like `ss -xap`, every network
 * namespace. A listener's Recv-Q is its accept queue and Send-Q its backlog (unix_diag
 * UNIX_DIAG_RQLEN); its row also names the processes whose connections wait in that queue, which
 * `ss` cannot say (UNIX_DIAG_ICONS gives the clients' inodes, the fd walk their holders).
 *
 * @example
 * io.stdout(renderUnixTable(unixRows(snapshot, { state: 'LISTEN' }), { color: false, columns: 100 }));
 */
import type { Listener, Owner, Snapshot, TcpState, UnixSocket, UnixSocketType } from '../snapshot/types.js';
import { tableChunks, type Painter, painter, type RowsAt } from './format.js';
import { jsonArrayChunks, type SocketOwner, type SocketsTableOptions } from './sockets.js';

export interface UnixRow {
  /** ss's Netid: u_str, u_dgr, u_seq. */
  netid: 'u_str' | 'u_dgr' | 'u_seq';
  type: UnixSocketType;
  state: TcpState;
  /** LISTEN: the accept queue. Otherwise data queued for reading. null: unknown (/proc/net/unix). */
  recvQ: number | null;
  /** LISTEN: the backlog. Otherwise data the peer has not read. null: unknown. */
  sendQ: number | null;
  /** Its path, "@name" (abstract), or null when unbound. */
  name: string | null;
  inode: number;
  /** The peer's inode, 0 for none, null when unknown. */
  peer: number | null;
  owners: SocketOwner[];
  netns: number;
  namespace: string;
  /** LISTEN: processes whose connections wait in its queue, most first (`connections` each). */
  queuedFrom?: Array<{ pid: number; name: string | null; connections: number }>;
}

export interface UnixFilter {
  state?: TcpState;
  /** Held by this process, or queued on a listener it holds. */
  pid?: number;
}

const NETID: Readonly<Record<UnixSocketType, UnixRow['netid']>> = { stream: 'u_str', dgram: 'u_dgr', seqpacket: 'u_seq' };
/** ss's names for the states unix sockets use. */
const SS_STATE: Partial<Record<TcpState, string>> = { LISTEN: 'LISTEN', ESTABLISHED: 'ESTAB', CLOSE: 'UNCONN', SYN_SENT: 'SYN-SENT' };

/**
 * The unix-domain sockets matching a filter, in display order (namespace as the snapshot lists
 * them, listeners first, then by name and inode), as indices into the snapshot's sockets: no row
 * object per socket. `row(k)` makes row k as an object of its own; `at(k)` fills one reused object,
 * read before the next call (the streamed table of `sockdoc sockets --unix`).
 */
export class UnixRows {
  private readonly cursor: UnixRow;
  private readonly pool: SocketOwner[] = [];
  /** Each listener's queuedFrom with names, made once (shared by `at`; copied by `row`). */
  private readonly queued = new Map<number, NonNullable<UnixRow['queuedFrom']>>();

  constructor(
    private readonly sockets: readonly UnixSocket[],
    /** Index in `sockets` of each row, in display order. */
    private readonly order: Uint32Array,
    private readonly owners: ReadonlyMap<number, Owner[]>,
    private readonly listeners: ReadonlyMap<number, Listener>,
    private readonly names: ReadonlyMap<number, string>,
    private readonly nsName: ReadonlyMap<number, string>,
    private readonly firstName: string,
  ) {
    this.cursor = { netid: 'u_str', type: 'stream', state: 'CLOSE', recvQ: null, sendQ: null, name: null, inode: 0, peer: null, owners: [], netns: 0, namespace: '' };
  }

  get length(): number {
    return this.order.length;
  }

  /** Row k in `into`: fresh objects (fresh), or the cursor's reused ones. */
  private fill(k: number, into: UnixRow, fresh: boolean): UnixRow {
    const s = this.sockets[this.order[k]];
    into.netid = NETID[s.type];
    into.type = s.type;
    into.state = s.state;
    into.recvQ = s.rqueue;
    into.sendQ = s.wqueue;
    into.name = s.name;
    into.inode = s.inode;
    into.peer = s.peer;
    const holders = this.owners.get(s.inode) ?? [];
    const owners = fresh ? [] : into.owners;
    owners.length = 0;
    for (let j = 0; j < holders.length; j++) {
      const { pid, fd } = holders[j];
      const name = this.names.get(pid) ?? null;
      if (fresh) owners.push({ pid, name, fd });
      else {
        const o = (this.pool[j] ??= { pid, name, fd });
        o.pid = pid;
        o.name = name;
        o.fd = fd;
        owners.push(o);
      }
    }
    into.owners = owners;
    into.netns = s.netns;
    into.namespace = this.nsName.get(s.netns) ?? this.firstName;
    const queuedFrom = this.queuedFrom(s);
    // Absent, not undefined, on a fresh row: the objects of before (deepEqual, JSON) are unchanged.
    if (!fresh) into.queuedFrom = queuedFrom;
    else if (queuedFrom) into.queuedFrom = queuedFrom.map((c) => ({ ...c }));
    return into;
  }

  private queuedFrom(s: UnixSocket): UnixRow['queuedFrom'] {
    const listener = s.state === 'LISTEN' ? this.listeners.get(s.inode) : undefined;
    if (!listener?.unix) return undefined;
    let q = this.queued.get(s.inode);
    if (q === undefined) this.queued.set(s.inode, (q = listener.unix.queuedFrom.map((c) => ({ ...c, name: this.names.get(c.pid) ?? null }))));
    return q;
  }

  row(k: number): UnixRow {
    return this.fill(k, { netid: 'u_str', type: 'stream', state: 'CLOSE', recvQ: null, sendQ: null, name: null, inode: 0, peer: null, owners: [], netns: 0, namespace: '' }, true);
  }

  at(k: number): UnixRow {
    return this.fill(k, this.cursor, false);
  }

  toArray(): UnixRow[] {
    const out = new Array<UnixRow>(this.length);
    for (let k = 0; k < out.length; k++) out[k] = this.row(k);
    return out;
  }

  /**
   * Appends JSON.stringify(this.row(k)) to `out` in pieces (a test holds the two equal), from the
   * socket without the row object; a listener's queuedFrom is made once.
   */
  jsonPieces(k: number, out: string[], cache: UnixJsonCache): void {
    const s = this.sockets[this.order[k]];
    const kind = `${s.type} ${s.state}`;
    let head = cache.heads.get(kind);
    if (head === undefined) cache.heads.set(kind, (head = `{"netid":"${NETID[s.type]}","type":"${s.type}","state":"${s.state}","recvQ":`));
    out.push(head, String(s.rqueue), ',"sendQ":', String(s.wqueue), ',"name":', s.name === null ? 'null' : JSON.stringify(s.name), ',"inode":', String(s.inode), ',"peer":', String(s.peer), ',"owners":[');
    const holders = this.owners.get(s.inode);
    if (holders) {
      for (let j = 0; j < holders.length; j++) {
        const { pid, fd } = holders[j];
        const name = this.names.get(pid);
        out.push(j > 0 ? ',{"pid":' : '{"pid":', String(pid), ',"name":', name === undefined ? 'null' : JSON.stringify(name), ',"fd":', String(fd), '}');
      }
    }
    out.push('],"netns":', String(s.netns), ',"namespace":', JSON.stringify(this.nsName.get(s.netns) ?? this.firstName));
    const queuedFrom = this.queuedFrom(s);
    if (queuedFrom) {
      let q = cache.queued.get(s.inode);
      if (q === undefined) cache.queued.set(s.inode, (q = ',"queuedFrom":' + JSON.stringify(queuedFrom)));
      out.push(q);
    }
    out.push('}');
  }
}

/** What UnixRows.jsonPieces makes once per listing. */
interface UnixJsonCache {
  /** By "type state": '{"netid":…,"type":…,"state":…,"recvQ":'. */
  heads: Map<string, string>;
  /** By listener inode: ',"queuedFrom":[…]'. */
  queued: Map<number, string>;
}

/** The rows matching `filter`, in display order (UnixRows), read without an object per row. */
export function selectUnix(snapshot: Snapshot, filter: UnixFilter = {}): UnixRows {
  const names = new Map<number, string>();
  for (const p of snapshot.processes) names.set(p.pid, p.name);
  const nsRank = new Map((snapshot.namespaces ?? []).map((n, i) => [n.inode, i]));
  const nsName = new Map((snapshot.namespaces ?? []).map((n) => [n.inode, n.name]));
  const firstName = snapshot.namespaces?.[0]?.name ?? 'host';
  const listeners = new Map(snapshot.listeners.filter((l) => l.family === 'unix').map((l) => [l.inode, l]));
  const sockets = snapshot.unixSockets ?? [];
  const picked: number[] = [];
  for (let i = 0; i < sockets.length; i++) {
    const s = sockets[i];
    if (filter.state !== undefined && s.state !== filter.state) continue;
    if (filter.pid !== undefined) {
      const holders = snapshot.owners.get(s.inode) ?? [];
      const listener = s.state === 'LISTEN' ? listeners.get(s.inode) : undefined;
      if (!holders.some((o) => o.pid === filter.pid) && !(listener?.unix?.queuedFrom ?? []).some((c) => c.pid === filter.pid)) continue;
    }
    picked.push(i);
  }
  const rank = (s: UnixSocket) => (nsRank.get(s.netns) ?? 0) * 2 + (s.state === 'LISTEN' ? 0 : 1);
  const order = Uint32Array.from(picked).sort((x, y) => {
    const a = sockets[x];
    const b = sockets[y];
    return rank(a) - rank(b) || cmp(a.name ?? '\uffff', b.name ?? '\uffff') || a.inode - b.inode;
  });
  return new UnixRows(sockets, order, snapshot.owners, listeners, names, nsName, firstName);
}

/** selectUnix as objects, one per row. */
export function unixRows(snapshot: Snapshot, filter: UnixFilter = {}): UnixRow[] {
  return selectUnix(snapshot, filter).toArray();
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function ownersText(r: UnixRow): string {
  if (r.owners.length === 0) return '-';
  const byPid = new Map<number, { name: string | null; fds: number[] }>();
  for (const o of r.owners) {
    const e = byPid.get(o.pid) ?? { name: o.name, fds: [] };
    e.fds.push(o.fd);
    byPid.set(o.pid, e);
  }
  const text = [...byPid].map(([pid, e]) => `${e.name ? `${pid}/${e.name}` : pid} fd=${e.fds.join(',')}`).join(', ');
  const queued = r.queuedFrom?.length ? ` ← queued: ${r.queuedFrom.map((c) => `${c.name ? `${c.pid}/${c.name}` : c.pid}×${c.connections}`).join(', ')}` : '';
  return text + queued;
}

/** The table, then one line counting sockets per type and state. */
export function renderUnixTable(rows: readonly UnixRow[], opts: SocketsTableOptions): string {
  return [...unixTableChunks({ length: rows.length, at: (k) => rows[k] }, opts)].join('');
}

/**
 * renderUnixTable in pieces of a few hundred lines, made as they are asked for: from UnixRows, one
 * reused row at a time (the cells are made twice, to measure and to lay out, rather than held).
 * Every cell is escaped by the table (terminalSafe), so the pieces need no terminalGuard pass.
 */
export function* unixTableChunks(rows: RowsAt<UnixRow>, opts: SocketsTableOptions): Generator<string> {
  const paint: Painter = painter(opts.color);
  if (rows.length === 0) {
    yield 'No unix-domain sockets match.\n';
    return;
  }
  const first = rows.at(0).netns;
  let manyNamespaces = false;
  let unknown = false;
  const counts = new Map<string, number>();
  for (let k = 0; k < rows.length; k++) {
    const r = rows.at(k);
    if (r.netns !== first) manyNamespaces = true;
    if (r.recvQ === null) unknown = true;
    const key = `${r.netid} ${SS_STATE[r.state] ?? r.state}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const q = (v: number | null) => (v === null ? '?' : String(v));
  yield* tableChunks(
    rows,
    [
      ...(manyNamespaces ? [{ header: 'Netns', cell: (r: UnixRow) => r.namespace }] : []),
      { header: 'Netid', cell: (r) => r.netid },
      { header: 'State', cell: (r) => SS_STATE[r.state] ?? r.state },
      { header: 'Recv-Q', align: 'right', cell: (r) => q(r.recvQ), style: (r) => (r.state === 'LISTEN' && r.recvQ !== null && r.sendQ !== null && r.recvQ > r.sendQ ? 'red' : null) },
      { header: 'Send-Q', align: 'right', cell: (r) => q(r.sendQ) },
      { header: 'Local', cell: (r) => r.name ?? '*' },
      { header: 'Inode', align: 'right', cell: (r) => String(r.inode) },
      { header: 'Peer', align: 'right', cell: (r) => (r.peer === null ? '?' : r.peer === 0 ? '*' : String(r.peer)) },
      { header: 'Process', cell: ownersText, style: (r) => (r.owners.length ? null : 'dim') },
    ],
    paint,
    '',
    256,
  );
  const note = unknown ? ' (Recv-Q/Send-Q "?": read from /proc/net/unix, which has no queue lengths)' : '';
  yield paint('dim', `${rows.length} unix socket${rows.length === 1 ? '' : 's'}: ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}${note}`) + '\n';
}

/** The JSON array of the rows (`sockets --unix --json`), a few hundred rows a piece: the bytes of JSON.stringify of the row objects. */
export function* unixJsonChunks(rows: UnixRows, rowsPerChunk = 256): Generator<string> {
  const cache: UnixJsonCache = { heads: new Map(), queued: new Map() };
  yield* jsonArrayChunks(rows.length, (k, out) => rows.jsonPieces(k, out, cache), rowsPerChunk);
}
