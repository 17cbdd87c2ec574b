/**
 * Derives listeners and what waits behind them from the flat socket list.
 *
 * A connection completed by the kernel but not yet accept()ed has no file, so /proc shows it with
 * inode 0 and no process holds it (kernel-facts §1, §3). Such ESTABLISHED and CLOSE_WAIT sockets,
 * and request sockets in SYN_RECV, belong to the listener on their local address and port.
 * Where the sockets came from sock_diag, each listener also gets its own drop count and how long
 * the connections in its queue have waited (the table's drops and waitedMs columns).
 */
import { listenerKey } from '../probe/sock-diag.js';
import type { AcceptWait, Listener, Owner, TcpSocket, UnixSocket } from './types.js';
import { forEachHolderPid } from '../probe/owner-map.js';
import { NO_VALUE, SocketTable, tcpStateNumber } from './socket-table.js';

export { listenerKey };

const WILDCARD4 = '0.0.0.0';
const WILDCARD6 = '::';
const V4_MAPPED = '::ffff:';
const LISTEN = tcpStateNumber('LISTEN');
const SYN_RECV = tcpStateNumber('SYN_RECV');
const ESTABLISHED = tcpStateNumber('ESTABLISHED');
const CLOSE_WAIT = tcpStateNumber('CLOSE_WAIT');

/**
 * The listener a non-LISTEN socket arrived on: exact address first, then the wildcard of its
 * family, then a dual-stack "::" listener for IPv4 peers (v4-mapped in tcp6, or tcp4 when no
 * 0.0.0.0 listener exists).
 */
export function findListener(byPort: Map<number, Listener[]>, s: Pick<TcpSocket, 'family' | 'localAddress' | 'localPort'>): Listener | undefined {
  return findListenerOf(byPort, s.family, s.localAddress, s.localPort);
}

/** findListener by the socket's fields (the columns' loops make no object). */
export function findListenerOf(byPort: Map<number, Listener[]>, family: number, localAddress: string, localPort: number): Listener | undefined {
  const candidates = byPort.get(localPort);
  if (!candidates) return undefined;
  const exact = candidates.find((l) => l.address === localAddress);
  if (exact) return exact;
  const isV4 = family === 4 || localAddress.startsWith(V4_MAPPED);
  if (isV4) {
    const bare = family === 4 ? localAddress : localAddress.slice(V4_MAPPED.length);
    return (
      candidates.find((l) => l.address === bare) ??
      candidates.find((l) => l.address === WILDCARD4) ??
      candidates.find((l) => l.address === WILDCARD6)
    );
  }
  return candidates.find((l) => l.address === WILDCARD6);
}

/**
 * Builds Listener records. `backlogs` maps listenerKey -> sk_max_ack_backlog (from sock_diag or ss).
 */
export function deriveListeners(
  sockets: readonly TcpSocket[] | SocketTable,
  owners: ReadonlyMap<number, Owner[]>,
  backlogs: ReadonlyMap<string, number>,
  backlogSource: Listener['backlogSource'],
  /** listenerKey -> IPV6_V6ONLY from sock_diag; IPv6 listeners missing from it get null (unknown). */
  v6only?: ReadonlyMap<string, boolean>,
): Listener[] {
  const t = sockets instanceof SocketTable ? sockets : SocketTable.fromSockets(sockets);
  const listeners: Listener[] = [];
  const byPort = new Map<number, Listener[]>();
  for (let i = 0; i < t.length; i++) {
    if (t.state[i] !== LISTEN) continue;
    const inode = t.inode[i];
    const family = t.family[i] === 4 ? 4 : 6;
    const address = t.addresses[t.localAddress[i]];
    const port = t.localPort[i];
    const o = owners.get(inode) ?? [];
    const key = listenerKey(family, address, port, inode);
    const backlog = backlogs.get(key);
    const l: Listener = {
      netns: t.netns[i],
      family,
      address,
      port,
      inode,
      owners: o,
      pids: [...new Set(o.map((x) => x.pid))].sort((a, b) => a - b),
      acceptQueue: t.rxQueue[i],
      backlog: backlog ?? null,
      backlogSource: backlog === undefined ? null : backlogSource,
      v6only: family === 6 ? (v6only?.get(key) ?? null) : null,
      synRecv: 0,
      establishedUnaccepted: 0,
      closeWaitUnaccepted: 0,
      drops: t.drops && t.drops[i] !== NO_VALUE ? t.drops[i] : null,
      dropsDelta: null,
      acceptWait: null,
    };
    listeners.push(l);
    const list = byPort.get(l.port);
    if (list) list.push(l);
    else byPort.set(l.port, [l]);
  }
  if (listeners.length === 0) return listeners;
  const waited = t.waitedMs;
  const waits = new Map<Listener, number[]>();
  for (let i = 0; i < t.length; i++) {
    const st = t.state[i];
    const waiting = st === SYN_RECV || (t.inode[i] === 0 && (st === ESTABLISHED || st === CLOSE_WAIT));
    if (!waiting || !byPort.has(t.localPort[i])) continue;
    const l = findListenerOf(byPort, t.family[i], t.addresses[t.localAddress[i]], t.localPort[i]);
    if (!l) continue;
    if (st === SYN_RECV) l.synRecv++;
    else if (st === ESTABLISHED) {
      l.establishedUnaccepted++;
      if (waited && waited[i] !== NO_VALUE) {
        const list = waits.get(l);
        if (list) list.push(waited[i]);
        else waits.set(l, [waited[i]]);
      }
    } else l.closeWaitUnaccepted++;
  }
  if (waited) for (const l of listeners) l.acceptWait = acceptWaitOf(waits.get(l) ?? [], l.establishedUnaccepted);
  listeners.sort((a, b) => a.port - b.port || (a.family as number) - (b.family as number) || a.address.localeCompare(b.address));
  return listeners;
}

/** Orders listeners of one kind apart: TCP by port, family, address; unix after them by path. */
export function compareListeners(a: Listener, b: Listener): number {
  const ua = a.family === 'unix';
  const ub = b.family === 'unix';
  if (ua !== ub) return ua ? 1 : -1;
  if (ua) return a.address < b.address ? -1 : a.address > b.address ? 1 : a.inode - b.inode;
  return a.port - b.port || (a.family as number) - (b.family as number) || a.address.localeCompare(b.address);
}

/**
 * Listeners among unix-domain sockets: stream and seqpacket sockets in LISTEN whose queue length
 * is known (unix_diag; or counted from /proc/net/unix, which has no backlog: `backlog` null, and
 * the rules then judge against somaxconn, the most it can be). The clients queued on each
 * (UNIX_DIAG_ICONS) are turned into the processes holding them: on a php-fpm socket, nginx's workers.
 */
export function deriveUnixListeners(sockets: readonly UnixSocket[], owners: ReadonlyMap<number, Owner[]>): Listener[] {
  const out: Listener[] = [];
  for (const s of sockets) {
    if (s.state !== 'LISTEN' || s.type === 'dgram' || s.rqueue === null || s.name === null) continue;
    const o = owners.get(s.inode) ?? [];
    const queuedFrom = new Map<number, number>();
    let queuedOrphans = 0;
    for (const client of s.queued ?? []) {
      if (!forEachHolderPid(owners, client, (pid) => queuedFrom.set(pid, (queuedFrom.get(pid) ?? 0) + 1))) queuedOrphans++;
    }
    out.push({
      netns: s.netns,
      family: 'unix',
      address: s.name,
      port: 0,
      inode: s.inode,
      owners: o,
      pids: [...new Set(o.map((x) => x.pid))].sort((a, b) => a - b),
      acceptQueue: s.rqueue,
      backlog: s.wqueue,
      backlogSource: s.wqueue === null ? null : 'sock_diag',
      v6only: null,
      synRecv: 0,
      establishedUnaccepted: 0,
      closeWaitUnaccepted: 0,
      // unix_diag has no drop count of a listener (a full queue refuses connect() with EAGAIN, counted nowhere) nor waits.
      drops: null,
      dropsDelta: null,
      acceptWait: null,
      unix: {
        type: s.type,
        abstract: s.name.startsWith('@'),
        fileInode: s.fileInode,
        queuedFrom: [...queuedFrom].map(([pid, connections]) => ({ pid, connections })).sort((a, b) => b.connections - a.connections || a.pid - b.pid),
        queuedOrphans,
      },
    });
  }
  return out.sort(compareListeners);
}

/** The waits of `waiting` connections of which `waitsMs` were measured. */
export function acceptWaitOf(waitsMs: number[], waiting: number): AcceptWait {
  const sorted = waitsMs.sort((a, b) => b - a);
  const n = sorted.length;
  // The median of an even count is the mean of the middle two, as usual.
  const medianMs = n === 0 ? 0 : n % 2 ? sorted[(n - 1) / 2] : Math.round((sorted[n / 2 - 1] + sorted[n / 2]) / 2);
  return { measured: n, unmeasured: Math.max(0, waiting - n), maxMs: n ? sorted[0] : 0, medianMs, waitsMs: sorted };
}
