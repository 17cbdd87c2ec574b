/**
 * Local ports used towards each destination, against the ephemeral range: the body shared by
 * ephemeral-ports-exhausted and ephemeral-ports-near.
 *
 * How connect() picks a local port (net/ipv4/inet_hashtables.c `__inet_hash_connect`): it walks
 * net.ipv4.ip_local_port_range, skips net.ipv4.ip_local_reserved_ports and every port some socket
 * took with an explicit bind() (a listener, a bound client), and takes the first port whose full
 * 4-tuple (source address, source port, destination address, destination port) is unused
 * (`__inet_check_established`; a TIME_WAIT 4-tuple counts as used unless tcp_tw_reuse lets
 * `tcp_twsk_unique` recycle it). So one local port serves many destinations at once: the range
 * runs out per (source address, destination address, destination port), and only because the
 * source address is fixed for that destination (the route picks it before the port). When no port
 * is left, connect() fails with EADDRNOTAVAIL, "Cannot assign requested address".
 */
import { findListener } from '../../snapshot/listeners.js';
import { forEachHolderPid } from '../../probe/owner-map.js';
import { tunablesOf } from '../../snapshot/namespaces.js';
import type { Listener, Snapshot, TcpSocket, TcpState, Tunables } from '../../snapshot/types.js';
import type { RuleOptions, SharedWork } from '../types.js';

/** Outgoing connections of one network namespace from one source address to one destination. */
export interface DestinationUse {
  netns: number;
  localAddress: string;
  remoteAddress: string;
  remotePort: number;
  /** Local ports in use towards it (one per socket: the 4-tuple is unique). */
  inUse: number;
  byState: Partial<Record<TcpState, number>>;
  /** Socket count per owning pid (TIME_WAIT and orphaned sockets have none). */
  byPid: Map<number, number>;
  /** Ports connect() may choose: the range, less reserved ports and ports taken by bind(). */
  usable: number;
  range: [number, number];
  reserved: number;
  boundInRange: number;
  /** tcp_tw_reuse lets connect() recycle these TIME_WAIT ports (1, or 2 for a loopback destination). */
  timeWaitReusable: boolean;
  twReuse: number | null;
}

const V4_MAPPED = '::ffff:';

/** v4-mapped and plain IPv4 share one port space and one 4-tuple space: compare them as IPv4. */
function bare(address: string): string {
  return address.startsWith(V4_MAPPED) && address.includes('.') ? address.slice(V4_MAPPED.length) : address;
}

function isLoopback(address: string): boolean {
  const a = bare(address);
  return a === '::1' || a.startsWith('127.');
}

function reservedIn(tunables: Tunables, lo: number, hi: number): (port: number) => boolean {
  const ranges = (tunables['net.ipv4.ip_local_reserved_ports'] ?? []).filter(([a, b]) => b >= lo && a <= hi);
  return (port) => ranges.some(([a, b]) => port >= a && port <= b);
}

/** Every destination an outgoing connection goes to, with its use of the ephemeral range. Computed once per rule run. */
export function destinationUses(snapshot: Snapshot, shared?: SharedWork): DestinationUse[] {
  return shared ? shared.once('ephemeral.destinationUses', () => groupDestinations(snapshot)) : groupDestinations(snapshot);
}

/**
 * One pass over every socket (100k+ on a busy host): groups are found through nested maps keyed by
 * the interned address strings the socket table shares, never a key string built per socket.
 */
function groupDestinations(snapshot: Snapshot): DestinationUse[] {
  const listenersByNs = new Map<number, Map<number, Listener[]>>();
  for (const l of snapshot.listeners) {
    let byPort = listenersByNs.get(l.netns);
    if (!byPort) listenersByNs.set(l.netns, (byPort = new Map()));
    const list = byPort.get(l.port);
    if (list) list.push(l);
    else byPort.set(l.port, [l]);
  }
  const all: DestinationUse[] = [];
  // netns -> source address -> destination address -> destination port -> group
  const groups = new Map<number, Map<string, Map<string, Map<number, DestinationUse>>>>();
  const bareOf = new Map<string, string>();
  const bareCached = (a: string): string => {
    let b = bareOf.get(a);
    if (b === undefined) bareOf.set(a, (b = bare(a)));
    return b;
  };
  const rangeOf = new Map<number, NsRange | null>();
  // Per group, the function that counts one more socket of a pid (made once, not per socket).
  const bumpers = new Map<DestinationUse, (pid: number) => void>();
  for (const s of snapshot.sockets) {
    if (s.state === 'LISTEN' || s.state === 'SYN_RECV' || s.state === 'CLOSE' || s.remotePort === 0) continue;
    let r = rangeOf.get(s.netns);
    if (r === undefined) {
      const tunables = tunablesOf(snapshot, s.netns);
      const range = tunables['net.ipv4.ip_local_port_range'];
      r = range ? nsRange(tunables, range, listenersByNs.get(s.netns)) : null;
      rangeOf.set(s.netns, r);
    }
    if (r === null || s.localPort < r.lo || s.localPort > r.hi || (r.reservedCount > 0 && r.reserved(s.localPort))) continue;
    // A connection a listener accepted keeps the listener's port: it is incoming, not ours.
    const byPort = listenersByNs.get(s.netns);
    if (byPort && byPort.has(s.localPort) && findListener(byPort, s as TcpSocket)) continue;
    const local = bareCached(s.localAddress);
    const remote = bareCached(s.remoteAddress);
    let byLocal = groups.get(s.netns);
    if (!byLocal) groups.set(s.netns, (byLocal = new Map()));
    let byRemote = byLocal.get(local);
    if (!byRemote) byLocal.set(local, (byRemote = new Map()));
    let byPortGroup = byRemote.get(remote);
    if (!byPortGroup) byRemote.set(remote, (byPortGroup = new Map()));
    let g = byPortGroup.get(s.remotePort);
    if (!g) {
      g = newUse(s, local, remote, r);
      byPortGroup.set(s.remotePort, g);
      all.push(g);
    }
    g.inUse++;
    g.byState[s.state] = (g.byState[s.state] ?? 0) + 1;
    if (s.inode !== 0) {
      let bump = bumpers.get(g);
      if (!bump) {
        const byPid = g.byPid;
        bump = (pid: number) => void byPid.set(pid, (byPid.get(pid) ?? 0) + 1);
        bumpers.set(g, bump);
      }
      forEachHolderPid(snapshot.owners, s.inode, bump);
    }
  }
  return all.sort((a, b) => b.inUse / b.usable - a.inUse / a.usable || a.remotePort - b.remotePort);
}

interface NsRange {
  lo: number;
  hi: number;
  reserved: (p: number) => boolean;
  reservedCount: number;
  boundInRange: number;
  tunables: Tunables;
}

/** A namespace's range, counted once: reserved ports, and ports listeners took with bind(). */
function nsRange(tunables: Tunables, [lo, hi]: [number, number], byPort: Map<number, Listener[]> | undefined): NsRange {
  const reserved = reservedIn(tunables, lo, hi);
  let reservedCount = 0;
  for (let p = lo; p <= hi; p++) if (reserved(p)) reservedCount++;
  // Ports taken by bind() (listeners) in the range are skipped by connect() for every destination.
  let boundInRange = 0;
  for (const port of byPort?.keys() ?? []) if (port >= lo && port <= hi && !reserved(port)) boundInRange++;
  return { lo, hi, reserved, reservedCount, boundInRange, tunables };
}

function newUse(s: TcpSocket, local: string, remote: string, r: NsRange): DestinationUse {
  const { reservedCount: reserved, boundInRange } = r;
  const twReuse = r.tunables['net.ipv4.tcp_tw_reuse'] ?? null;
  return {
    netns: s.netns,
    localAddress: local,
    remoteAddress: remote,
    remotePort: s.remotePort,
    inUse: 0,
    byState: {},
    byPid: new Map(),
    usable: Math.max(1, r.hi - r.lo + 1 - reserved - boundInRange),
    range: [r.lo, r.hi],
    reserved,
    boundInRange,
    timeWaitReusable: twReuse === 1 || (twReuse === 2 && isLoopback(remote)),
    twReuse,
  };
}

/** Which finding a destination gets: TIME_WAIT ports that tcp_tw_reuse recycles do not block connect(). */
export function ephemeralLevel(u: DestinationUse, options: RuleOptions): 'exhausted' | 'near' | null {
  const blocking = u.inUse - (u.timeWaitReusable ? (u.byState.TIME_WAIT ?? 0) : 0);
  if (blocking >= options.portsCritical * u.usable) return 'exhausted';
  if (u.inUse >= options.portsWarning * u.usable) return 'near';
  return null;
}

/** "[::1]:80", "10.0.0.5:5432". */
export function destinationLabel(u: Pick<DestinationUse, 'remoteAddress' | 'remotePort'>): string {
  return u.remoteAddress.includes(':') ? `[${u.remoteAddress}]:${u.remotePort}` : `${u.remoteAddress}:${u.remotePort}`;
}
