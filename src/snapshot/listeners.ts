/**
 * Derives listeners and what waits behind them from the flat socket list.
 *
 * A connection completed by the kernel but not yet accept()ed has no file, so /proc shows it with
 * inode 0 and no process holds it (kernel-facts §1, §3). Such ESTABLISHED and CLOSE_WAIT sockets,
 * and request sockets in SYN_RECV, belong to the listener on their local address and port.
 */
import { listenerKey } from '../probe/sock-diag.js';
import type { Listener, Owner, TcpSocket } from './types.js';

export { listenerKey };

const WILDCARD4 = '0.0.0.0';
const WILDCARD6 = '::';
const V4_MAPPED = '::ffff:';

/**
 * The listener a non-LISTEN socket arrived on: exact address first, then the wildcard of its
 * family, then a dual-stack "::" listener for IPv4 peers (v4-mapped in tcp6, or tcp4 when no
 * 0.0.0.0 listener exists).
 */
export function findListener(byPort: Map<number, Listener[]>, s: TcpSocket): Listener | undefined {
  const candidates = byPort.get(s.localPort);
  if (!candidates) return undefined;
  const exact = candidates.find((l) => l.address === s.localAddress);
  if (exact) return exact;
  const isV4 = s.family === 4 || s.localAddress.startsWith(V4_MAPPED);
  if (isV4) {
    const bare = s.family === 4 ? s.localAddress : s.localAddress.slice(V4_MAPPED.length);
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
  sockets: readonly TcpSocket[],
  owners: ReadonlyMap<number, Owner[]>,
  backlogs: ReadonlyMap<string, number>,
  backlogSource: Listener['backlogSource'],
  /** listenerKey -> IPV6_V6ONLY from sock_diag; IPv6 listeners missing from it get null (unknown). */
  v6only?: ReadonlyMap<string, boolean>,
): Listener[] {
  const listeners: Listener[] = [];
  const byPort = new Map<number, Listener[]>();
  for (const s of sockets) {
    if (s.state !== 'LISTEN') continue;
    const o = owners.get(s.inode) ?? [];
    const key = listenerKey(s.family, s.localAddress, s.localPort, s.inode);
    const backlog = backlogs.get(key);
    const l: Listener = {
      netns: s.netns,
      family: s.family,
      address: s.localAddress,
      port: s.localPort,
      inode: s.inode,
      owners: o,
      pids: [...new Set(o.map((x) => x.pid))].sort((a, b) => a - b),
      acceptQueue: s.rxQueue,
      backlog: backlog ?? null,
      backlogSource: backlog === undefined ? null : backlogSource,
      v6only: s.family === 6 ? (v6only?.get(key) ?? null) : null,
      synRecv: 0,
      establishedUnaccepted: 0,
      closeWaitUnaccepted: 0,
    };
    listeners.push(l);
    const list = byPort.get(l.port);
    if (list) list.push(l);
    else byPort.set(l.port, [l]);
  }
  if (listeners.length === 0) return listeners;
  for (const s of sockets) {
    if (s.state === 'SYN_RECV') {
      const l = findListener(byPort, s);
      if (l) l.synRecv++;
    } else if (s.inode === 0 && (s.state === 'ESTABLISHED' || s.state === 'CLOSE_WAIT')) {
      const l = findListener(byPort, s);
      if (!l) continue;
      if (s.state === 'ESTABLISHED') l.establishedUnaccepted++;
      else l.closeWaitUnaccepted++;
    }
  }
  listeners.sort((a, b) => a.port - b.port || a.family - b.family || a.address.localeCompare(b.address));
  return listeners;
}
