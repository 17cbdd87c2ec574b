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
import { TCP_STATES, type Listener, type Snapshot, type TcpSocket, type TcpState } from '../snapshot/types.js';
import { findListener } from '../snapshot/listeners.js';
import { hostPort, table, type Painter, painter } from './format.js';

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
  /** Unowned SYN_RECV / ESTABLISHED / CLOSE_WAIT: the listener whose queue holds it, and who holds that. */
  waitingOn?: WaitingOn;
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

const pad = (n: number, width: number) => String(n).padStart(width, '0');

const STATE_RANK = new Map(TCP_STATES.map((s, i) => [s, s === 'LISTEN' ? -1 : i]));

/** Rows for the sockets matching `filter`, sorted: listeners first by port, then by local port, state, peer. */
export function socketsToRows(snapshot: Snapshot, filter: SocketFilter = {}): SocketRow[] {
  const names = new Map(snapshot.processes.map((p) => [p.pid, p.name]));
  const byInode = new Map(snapshot.listeners.map((l) => [`${l.family}|${l.address}|${l.port}|${l.inode}`, l]));
  const byPort = new Map<number, Listener[]>();
  for (const l of snapshot.listeners) byPort.set(l.port, [...(byPort.get(l.port) ?? []), l]);

  const keyed: Array<{ row: SocketRow; key: string }> = [];
  // Hosts repeat a handful of addresses across thousands of sockets: expand each once.
  const addrKeys = new Map<string, string>();
  const addrKey = (a: string): string => {
    let k = addrKeys.get(a);
    if (k === undefined) addrKeys.set(a, (k = addressSortKey(a).padEnd(42, ' ')));
    return k;
  };
  for (const s of snapshot.sockets) {
    if (filter.state !== undefined && s.state !== filter.state) continue;
    if (filter.port !== undefined && s.localPort !== filter.port && s.remotePort !== filter.port) continue;
    const holders = s.inode === 0 ? [] : snapshot.owners.get(s.inode) ?? [];
    let listener: Listener | undefined;
    if (s.state === 'LISTEN') listener = byInode.get(`${s.family}|${s.localAddress}|${s.localPort}|${s.inode}`);
    else if (s.inode === 0 && (s.state === 'SYN_RECV' || s.state === 'ESTABLISHED' || s.state === 'CLOSE_WAIT')) listener = findListener(byPort, s);
    if (filter.pid !== undefined) {
      const held = holders.some((o) => o.pid === filter.pid);
      const queued = s.state !== 'LISTEN' && listener !== undefined && listener.pids.includes(filter.pid);
      if (!held && !queued) continue;
    }
    const row: SocketRow = {
      state: s.state,
      local: hostPort(s.localAddress, s.localPort),
      remote: hostPort(s.remoteAddress, s.remotePort),
      recvQ: s.rxQueue,
      // /proc has no backlog limit (tx_queue is 0 for LISTEN): only sock_diag or ss know it.
      sendQ: s.state === 'LISTEN' ? listener?.backlog ?? null : s.txQueue,
      inode: s.inode,
      owners: holders.map((o) => ({ pid: o.pid, name: names.get(o.pid) ?? null, fd: o.fd })),
    };
    if (s.state !== 'LISTEN' && listener) {
      row.waitingOn = { listener: hostPort(listener.address, listener.port), owners: listener.pids.map((pid) => ({ pid, name: names.get(pid) ?? null })) };
    }
    // One string per row, compared as a whole: sorting 100k sockets stays well under a second.
    keyed.push({
      row,
      key:
        (s.state === 'LISTEN' ? '0' : '1') +
        pad(s.localPort, 5) +
        addrKey(s.localAddress) +
        pad(STATE_RANK.get(s.state)! + 1, 2) +
        addrKey(s.remoteAddress) +
        pad(s.remotePort, 5) +
        pad(s.inode, 12),
    });
  }
  return keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((k) => k.row);
}

/** "37482/server fd=3", several fds of one process as "fd=3,7", processes joined by ", ". */
export function ownersText(owners: readonly SocketOwner[]): string {
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
    return row.state === 'SYN_RECV' ? `(handshake pending: ${w.listener}${of})` : `(not accepted yet: ${w.listener}${of})`;
  }
  if (row.inode !== 0) return '(owner not visible)';
  if (row.state === 'TIME_WAIT') return '(time-wait: no process)';
  if (row.state === 'FIN_WAIT1' || row.state === 'FIN_WAIT2' || row.state === 'LAST_ACK' || row.state === 'CLOSING') return '(orphan: closed by its process)';
  return '-';
}

export interface SocketsTableOptions {
  color: boolean;
  columns: number;
}

/** The table, then one line counting rows per state. */
export function renderSocketsTable(rows: readonly SocketRow[], opts: SocketsTableOptions): string {
  const paint: Painter = painter(opts.color);
  if (rows.length === 0) return 'No sockets match.\n';
  const lines = table(
    rows,
    [
      { header: 'State', cell: (r) => r.state },
      { header: 'Recv-Q', align: 'right', cell: (r) => String(r.recvQ), style: (r) => (r.state === 'LISTEN' && r.sendQ !== null && r.recvQ > r.sendQ ? 'red' : null) },
      { header: 'Send-Q', align: 'right', cell: (r) => (r.sendQ === null ? '?' : String(r.sendQ)) },
      { header: 'Local', cell: (r) => r.local },
      // A listener has no peer: "*" as ss prints it, rather than a port 0 that looks like data.
      { header: 'Peer', cell: (r) => (r.state === 'LISTEN' ? r.remote.replace(/:0$/, ':*') : r.remote) },
      { header: 'Process', cell: (r) => (r.owners.length ? ownersText(r.owners) : unownedText(r)), style: (r) => (r.owners.length ? null : 'dim') },
    ],
    paint,
  );
  const counts = new Map<TcpState, number>();
  for (const r of rows) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
  const perState = [...counts].sort(([a], [b]) => STATE_RANK.get(a)! - STATE_RANK.get(b)!).map(([s, n]) => `${n} ${s}`);
  lines.push(paint('dim', `${rows.length} socket${rows.length === 1 ? '' : 's'}: ${perState.join(', ')}`));
  return lines.join('\n') + '\n';
}
