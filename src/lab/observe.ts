/**
 * What the kernel shows around the lab's port, from one snapshot: ss-like lines for the sockets
 * involved and the numbers the story checks. Pure.
 */
import type { Owner, Snapshot, TcpSocket, TcpState } from '../snapshot/types.js';
import type { Observation, SocketLine } from './types.js';

/** ss spells states its own way (misc/ss.c sstate_name). */
const SS_STATE: Record<TcpState, string> = {
  ESTABLISHED: 'ESTAB',
  SYN_SENT: 'SYN-SENT',
  SYN_RECV: 'SYN-RECV',
  FIN_WAIT1: 'FIN-WAIT-1',
  FIN_WAIT2: 'FIN-WAIT-2',
  TIME_WAIT: 'TIME-WAIT',
  CLOSE: 'UNCONN',
  CLOSE_WAIT: 'CLOSE-WAIT',
  LAST_ACK: 'LAST-ACK',
  LISTEN: 'LISTEN',
  CLOSING: 'CLOSING',
};

function hostPort(address: string, port: number | '*'): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function processText(snapshot: Snapshot, owners: Owner[] | undefined): string {
  if (!owners?.length) return '-';
  const names = new Map(snapshot.processes.map((p) => [p.pid, p.name]));
  const pids = [...new Set(owners.map((o) => o.pid))];
  // Folded lines share one process text, so fds (different on every line) are left out.
  return `users:(${pids.map((pid) => `("${names.get(pid) ?? '?'}",pid=${pid})`).join(',')})`;
}

function range(values: number[]): string {
  const min = Math.min(...values);
  const max = Math.max(...values);
  return min === max ? String(min) : `${min}-${max}`;
}

function isServerSide(s: TcpSocket, port: number): boolean {
  return s.localPort === port;
}

function isClientSide(s: TcpSocket, port: number): boolean {
  return s.remotePort === port && s.localPort !== port;
}

/**
 * ss-like lines for the listener on `port`, the server side and the client side of its
 * connections. Sockets with the same state, side and process fold into one line with a count;
 * the varying port is shown as `*` and queues as a range.
 */
export function socketLines(snapshot: Snapshot, port: number): SocketLine[] {
  const groups = new Map<string, { sample: TcpSocket; rx: number[]; tx: number[]; process: string; side: number }>();
  for (const s of snapshot.sockets) {
    const server = isServerSide(s, port);
    if (!server && !isClientSide(s, port)) continue;
    const proc = processText(snapshot, s.inode === 0 ? undefined : snapshot.owners.get(s.inode));
    const side = s.state === 'LISTEN' ? 0 : server ? 1 : 2;
    const key = `${side}|${s.state}|${proc}|${s.localAddress}|${s.remoteAddress}|${s.state === 'LISTEN' ? s.inode : ''}`;
    const g = groups.get(key) ?? { sample: s, rx: [], tx: [], process: proc, side };
    g.rx.push(s.rxQueue);
    g.tx.push(s.txQueue);
    groups.set(key, g);
  }
  const lines = [...groups.values()].sort((a, b) => a.side - b.side || b.rx.length - a.rx.length);
  return lines.map((g) => {
    const s = g.sample;
    const many = g.rx.length > 1;
    const listener = s.state === 'LISTEN' ? snapshot.listeners.find((l) => l.inode === s.inode && l.port === s.localPort) : undefined;
    return {
      state: SS_STATE[s.state],
      recvQ: range(g.rx),
      // For a listener ss prints the backlog limit as Send-Q (sock_diag wqueue = sk_max_ack_backlog).
      sendQ: s.state === 'LISTEN' ? (listener?.backlog ?? '?').toString() : range(g.tx),
      local: hostPort(s.localAddress, g.side === 2 && many ? '*' : s.localPort),
      peer: s.state === 'LISTEN' ? hostPort(s.remoteAddress, '*') : hostPort(s.remoteAddress, g.side === 1 && many ? '*' : s.remotePort),
      process: g.process,
      count: g.rx.length,
    };
  });
}

function countBy(sockets: TcpSocket[]): Partial<Record<TcpState, number>> {
  const out: Partial<Record<TcpState, number>> = {};
  for (const s of sockets) out[s.state] = (out[s.state] ?? 0) + 1;
  return out;
}

/** The numbers of one step: queue, states on both sides, counters, descriptors of `pids`. */
export function observe(snapshot: Snapshot, port: number, pids: readonly number[]): Observation {
  const listener = snapshot.listeners.find((l) => l.port === port);
  const serverSide = snapshot.sockets.filter((s) => isServerSide(s, port) && s.state !== 'LISTEN');
  const { values, deltas } = snapshot.counters;
  const wanted = new Set(pids);
  return {
    port,
    acceptQueue: listener?.acceptQueue ?? null,
    backlog: listener?.backlog ?? null,
    somaxconn: snapshot.tunables['net.core.somaxconn'],
    abortOnOverflow: snapshot.tunables['net.ipv4.tcp_abort_on_overflow'],
    server: countBy(serverSide),
    serverUnowned: countBy(serverSide.filter((s) => s.inode === 0 || !snapshot.owners.has(s.inode))),
    client: countBy(snapshot.sockets.filter((s) => isClientSide(s, port))),
    listenOverflows: values['TcpExt.ListenOverflows'] ?? null,
    listenOverflowsDelta: deltas ? (deltas['TcpExt.ListenOverflows'] ?? 0) : null,
    listenDrops: values['TcpExt.ListenDrops'] ?? null,
    fds: snapshot.processes
      .filter((p) => wanted.has(p.pid))
      .map((p) => ({ pid: p.pid, name: p.name, open: p.fds.open, soft: p.fds.soft })),
  };
}
