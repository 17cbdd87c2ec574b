/**
 * `sockdoc sockets --unix`: every unix-domain socket with its owners, like `ss -xap`, every network
 * namespace. A listener's Recv-Q is its accept queue and Send-Q its backlog (unix_diag
 * UNIX_DIAG_RQLEN); its row also names the processes whose connections wait in that queue, which
 * `ss` cannot say (UNIX_DIAG_ICONS gives the clients' inodes, the fd walk their holders).
 *
 * @example
 * io.stdout(renderUnixTable(unixRows(snapshot, { state: 'LISTEN' }), { color: false, columns: 100 }));
 */
import { terminalGuard } from '../safety/terminal.js';
import type { Snapshot, TcpState, UnixSocketType } from '../snapshot/types.js';
import { tableText, type Painter, painter } from './format.js';
import type { SocketOwner, SocketsTableOptions } from './sockets.js';

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

/** Rows sorted: namespace as the snapshot lists them, listeners first, then by name and inode. */
export function unixRows(snapshot: Snapshot, filter: UnixFilter = {}): UnixRow[] {
  const names = new Map(snapshot.processes.map((p) => [p.pid, p.name]));
  const nsRank = new Map((snapshot.namespaces ?? []).map((n, i) => [n.inode, i]));
  const nsName = new Map((snapshot.namespaces ?? []).map((n) => [n.inode, n.name]));
  const firstName = snapshot.namespaces?.[0]?.name ?? 'host';
  const listeners = new Map(snapshot.listeners.filter((l) => l.family === 'unix').map((l) => [l.inode, l]));
  const rows: UnixRow[] = [];
  for (const s of snapshot.unixSockets ?? []) {
    if (filter.state !== undefined && s.state !== filter.state) continue;
    const holders = snapshot.owners.get(s.inode) ?? [];
    const listener = s.state === 'LISTEN' ? listeners.get(s.inode) : undefined;
    if (filter.pid !== undefined && !holders.some((o) => o.pid === filter.pid) && !(listener?.unix?.queuedFrom ?? []).some((c) => c.pid === filter.pid)) continue;
    const row: UnixRow = {
      netid: NETID[s.type],
      type: s.type,
      state: s.state,
      recvQ: s.rqueue,
      sendQ: s.wqueue,
      name: s.name,
      inode: s.inode,
      peer: s.peer,
      owners: holders.map((o) => ({ pid: o.pid, name: names.get(o.pid) ?? null, fd: o.fd })),
      netns: s.netns,
      namespace: nsName.get(s.netns) ?? firstName,
    };
    if (listener?.unix) row.queuedFrom = listener.unix.queuedFrom.map((c) => ({ ...c, name: names.get(c.pid) ?? null }));
    rows.push(row);
  }
  const rank = (r: UnixRow) => (nsRank.get(r.netns) ?? 0) * 2 + (r.state === 'LISTEN' ? 0 : 1);
  return rows.sort((a, b) => rank(a) - rank(b) || cmp(a.name ?? '\uffff', b.name ?? '\uffff') || a.inode - b.inode);
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
  const paint: Painter = painter(opts.color);
  if (rows.length === 0) return 'No unix-domain sockets match.\n';
  const manyNamespaces = rows.some((r) => r.netns !== rows[0].netns);
  const q = (v: number | null) => (v === null ? '?' : String(v));
  const text = tableText(
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
  );
  const counts = new Map<string, number>();
  for (const r of rows) {
    const k = `${r.netid} ${SS_STATE[r.state] ?? r.state}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const unknown = rows.some((r) => r.recvQ === null) ? ' (Recv-Q/Send-Q "?": read from /proc/net/unix, which has no queue lengths)' : '';
  return terminalGuard(text) + paint('dim', `${rows.length} unix socket${rows.length === 1 ? '' : 's'}: ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}${unknown}`) + '\n';
}
