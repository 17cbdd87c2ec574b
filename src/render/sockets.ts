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
import { terminalGuard } from '../safety/terminal.js';
import { TCP_STATES, type Listener, type Snapshot, type TcpState } from '../snapshot/types.js';
import { findListener } from '../snapshot/listeners.js';
import { hostPort, tableText, type Painter, painter } from './format.js';
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

/** An address seen in the snapshot: its "addr:" prefix and, once all are known, its sort rank. */
interface AddressInfo {
  address: string;
  prefix: string;
  rank: number;
}

/**
 * Rows for the sockets matching `filter`, sorted: listeners first by port, then by local port,
 * state, peer (addresses numerically, as `addressSortKey`), inode last so the order never depends
 * on the order of /proc/net/tcp. Rows without an owner that wait on the same listener share one
 * (read-only) `waitingOn`.
 */
export function socketsToRows(snapshot: Snapshot, filter: SocketFilter = {}): SocketRow[] {
  const names = new Map<number, string>();
  for (const p of snapshot.processes) names.set(p.pid, p.name);
  const byInode = new Map<string, Listener>();
  // A queued connection waits on a listener of its own namespace: one port map per namespace.
  const byNsPort = new Map<number, Map<number, Listener[]>>();
  for (const l of snapshot.listeners) {
    byInode.set(`${l.family}|${l.address}|${l.port}|${l.inode}`, l);
    let byPort = byNsPort.get(l.netns);
    if (!byPort) byNsPort.set(l.netns, (byPort = new Map()));
    const same = byPort.get(l.port);
    if (same) same.push(l);
    else byPort.set(l.port, [l]);
  }
  const nsRank = new Map<number, number>();
  const nsName = new Map<number, string>();
  (snapshot.namespaces ?? []).forEach((n, i) => {
    nsRank.set(n.inode, i);
    nsName.set(n.inode, n.name);
  });
  const firstName = snapshot.namespaces?.[0]?.name ?? 'host';
  const waiting = new Map<Listener, WaitingOn>();
  // Hosts repeat a handful of addresses across thousands of sockets: format and rank each once.
  const addresses = new Map<string, AddressInfo>();
  const addressInfo = (address: string): AddressInfo => {
    let a = addresses.get(address);
    if (a === undefined) addresses.set(address, (a = { address, prefix: hostPort(address, 0).slice(0, -1), rank: 0 }));
    return a;
  };

  const rows: SocketRow[] = [];
  // Sort keys, side by side with `rows`: numbers, not strings, so 100k comparisons allocate nothing.
  const ports: number[] = [];
  const states: number[] = [];
  const locals: AddressInfo[] = [];
  const remotes: AddressInfo[] = [];
  const remotePorts: number[] = [];
  const nsRanks: number[] = [];
  for (const s of snapshot.sockets) {
    if (filter.state !== undefined && s.state !== filter.state) continue;
    if (filter.port !== undefined && s.localPort !== filter.port && s.remotePort !== filter.port) continue;
    const holders = s.inode === 0 ? undefined : snapshot.owners.get(s.inode);
    let listener: Listener | undefined;
    if (s.state === 'LISTEN') listener = byInode.get(`${s.family}|${s.localAddress}|${s.localPort}|${s.inode}`);
    else if (s.inode === 0 && (s.state === 'SYN_RECV' || s.state === 'ESTABLISHED' || s.state === 'CLOSE_WAIT')) {
      const byPort = byNsPort.get(s.netns);
      listener = byPort ? findListener(byPort, s) : undefined;
    }
    if (filter.pid !== undefined) {
      const held = holders !== undefined && holders.some((o) => o.pid === filter.pid);
      const queued = s.state !== 'LISTEN' && listener !== undefined && listener.pids.includes(filter.pid);
      if (!held && !queued) continue;
    }
    const owners: SocketOwner[] = [];
    if (holders) for (const o of holders) owners.push({ pid: o.pid, name: names.get(o.pid) ?? null, fd: o.fd });
    const local = addressInfo(s.localAddress);
    const remote = addressInfo(s.remoteAddress);
    const row: SocketRow = {
      state: s.state,
      local: local.prefix + s.localPort,
      remote: remote.prefix + s.remotePort,
      recvQ: s.rxQueue,
      // /proc has no backlog limit (tx_queue is 0 for LISTEN): only sock_diag or ss know it.
      sendQ: s.state === 'LISTEN' ? listener?.backlog ?? null : s.txQueue,
      inode: s.inode,
      owners,
      netns: s.netns,
      namespace: nsName.get(s.netns) ?? firstName,
    };
    if (s.drops !== undefined) row.drops = s.drops;
    if (s.waitedMs !== undefined) row.waitedMs = s.waitedMs;
    if (s.state !== 'LISTEN' && listener) {
      let w = waiting.get(listener);
      if (w === undefined) {
        w = { listener: hostPort(listener.address, listener.port), owners: listener.pids.map((pid) => ({ pid, name: names.get(pid) ?? null })) };
        waiting.set(listener, w);
      }
      row.waitingOn = w;
    }
    rows.push(row);
    ports.push(s.state === 'LISTEN' ? s.localPort : 65536 + s.localPort);
    states.push(STATE_RANK.get(s.state)!);
    locals.push(local);
    remotes.push(remote);
    remotePorts.push(s.remotePort);
    nsRanks.push(nsRank.get(s.netns) ?? 0);
  }

  // Rank the distinct addresses once (IPv4 before IPv6, numerically), then compare ranks.
  const distinct = [...addresses.values()].map((a) => ({ a, key: addressSortKey(a.address) }));
  distinct.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  for (let i = 0, rank = 0; i < distinct.length; i++) {
    if (i > 0 && distinct[i].key !== distinct[i - 1].key) rank++;
    distinct[i].a.rank = rank;
  }
  const n = rows.length;
  const span = distinct.length + 1;
  // (namespace, listener?, local port, local address, state) in one exact integer:
  // namespaces * 2^17 * span * 16 < 2^53 for any real host.
  const major = new Float64Array(n);
  const minor = new Float64Array(n);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    major[i] = ((nsRanks[i] * 131072 + ports[i]) * span + locals[i].rank) * 16 + states[i] + 1;
    minor[i] = remotes[i].rank * 65536 + remotePorts[i];
    order[i] = i;
  }
  order.sort((a, b) => major[a] - major[b] || minor[a] - minor[b] || rows[a].inode - rows[b].inode);
  const sorted = new Array<SocketRow>(n);
  for (let i = 0; i < n; i++) sorted[i] = rows[order[i]];
  return sorted;
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
 * The Process column's text for each row, as `ownersText` / `unownedText` give it. Thousands of
 * rows share a process or a listener: their common text is made once, not once per row.
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
      if (p === undefined || p.name !== name) prefixes.set(pid, (p = { name, prefix: ownersText([{ pid, name, fd: 0 }]).slice(0, -1) }));
      return p.prefix + fd;
    }
    if (owners.length > 1) return ownersText(owners);
    const w = row.waitingOn;
    if (w === undefined || row.waitedMs !== undefined) return unownedText(row);
    const cache = row.state === 'SYN_RECV' ? pending : queued;
    let text = cache.get(w);
    if (text === undefined) cache.set(w, (text = unownedText(row)));
    return text;
  };
}

export interface SocketsTableOptions {
  color: boolean;
  columns: number;
}

/** The table, then one line counting rows per state. */
export function renderSocketsTable(rows: readonly SocketRow[], opts: SocketsTableOptions): string {
  const paint: Painter = painter(opts.color);
  if (rows.length === 0) return 'No sockets match.\n';
  const manyNamespaces = rows.some((r) => r.netns !== rows[0].netns);
  const text = tableText(
    rows,
    [
      ...(manyNamespaces ? [{ header: 'Netns', cell: (r: SocketRow) => r.namespace }] : []),
      { header: 'State', cell: (r) => r.state },
      { header: 'Recv-Q', align: 'right', cell: (r) => String(r.recvQ), style: (r) => (r.state === 'LISTEN' && r.sendQ !== null && r.recvQ > r.sendQ ? 'red' : null) },
      { header: 'Send-Q', align: 'right', cell: (r) => (r.sendQ === null ? '?' : String(r.sendQ)) },
      { header: 'Local', cell: (r) => r.local },
      // A listener has no peer: "*" as ss prints it, rather than a port 0 that looks like data.
      { header: 'Peer', cell: (r) => (r.state === 'LISTEN' ? r.remote.replace(/:0$/, ':*') : r.remote) },
      { header: 'Process', cell: processColumn(), style: (r) => (r.owners.length ? null : 'dim') },
    ],
    paint,
  );
  const counts = new Map<TcpState, number>();
  for (const r of rows) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
  const perState = [...counts].sort(([a], [b]) => STATE_RANK.get(a)! - STATE_RANK.get(b)!).map(([s, n]) => `${n} ${s}`);
  // Cells were escaped by tableText; the guard catches anything added around them.
  return terminalGuard(text) + paint('dim', `${rows.length} socket${rows.length === 1 ? '' : 's'}: ${perState.join(', ')}`) + '\n';
}
