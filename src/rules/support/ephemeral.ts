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
import { findListenerOf } from '../../snapshot/listeners.js';
import { socketTableOf, tcpStateNumber } from '../../snapshot/socket-table.js';
import { forEachHolderPid } from '../../probe/owner-map.js';
import { tunablesOf } from '../../snapshot/namespaces.js';
import { TCP_STATES, type Listener, type Snapshot, type TcpState, type Tunables } from '../../snapshot/types.js';
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
const LISTEN = tcpStateNumber('LISTEN');
const SYN_RECV = tcpStateNumber('SYN_RECV');
const CLOSE = tcpStateNumber('CLOSE');

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

/** Ports of [lo, hi] in any reserved range (ranges may overlap): counted by range, not port by port. */
export function countReserved(tunables: Tunables, lo: number, hi: number): number {
  const ranges = (tunables['net.ipv4.ip_local_reserved_ports'] ?? [])
    .map(([a, b]): [number, number] => [Math.max(a, lo), Math.min(b, hi)])
    .filter(([a, b]) => a <= b)
    .sort((x, y) => x[0] - y[0]);
  let count = 0;
  let end = lo - 1; // last port already counted
  for (const [a, b] of ranges) {
    if (b <= end) continue;
    count += b - Math.max(a, end + 1) + 1;
    end = b;
  }
  return count;
}

/** Every destination an outgoing connection goes to, with its use of the ephemeral range. Computed once per rule run. */
export function destinationUses(snapshot: Snapshot, shared?: SharedWork): DestinationUse[] {
  return shared ? shared.once('ephemeral.destinationUses', () => groupDestinations(snapshot)) : groupDestinations(snapshot);
}

/**
 * One pass over every socket (100k+ on a busy host), over the snapshot's columns: groups are found
 * through nested maps keyed by numbers (the netns; the pair of source and destination addresses,
 * each address made bare once; the destination port), never a key string or object per socket.
 */
function groupDestinations(snapshot: Snapshot): DestinationUse[] {
  const t = socketTableOf(snapshot);
  const listenersByNs = new Map<number, Map<number, Listener[]>>();
  for (const l of snapshot.listeners) {
    let byPort = listenersByNs.get(l.netns);
    if (!byPort) listenersByNs.set(l.netns, (byPort = new Map()));
    const list = byPort.get(l.port);
    if (list) list.push(l);
    else byPort.set(l.port, [l]);
  }
  // Each address of the table -> the id of its bare form (v4-mapped and plain IPv4 are one).
  const bareNames: string[] = [];
  const bareIds = new Map<string, number>();
  const bareOf = new Int32Array(t.addresses.length);
  t.addresses.forEach((a, i) => {
    const b = bare(a);
    let id = bareIds.get(b);
    if (id === undefined) bareIds.set(b, (id = bareNames.push(b) - 1));
    bareOf[i] = id;
  });
  const ids = Math.max(1, bareNames.length);
  const all: Group[] = [];
  // netns -> (source id * ids + destination id) -> destination port -> group
  const groups = new Map<number, Map<number, Map<number, Group>>>();
  const rangeOf = new Map<number, NsRange | null>();
  // The sockets of one namespace come in one run (one dump each): its range, listeners and groups
  // are looked up when the namespace changes, not per socket.
  let netns = NaN;
  let r: NsRange | null = null;
  let byPort: Map<number, Listener[]> | undefined;
  let byPair = new Map<number, Map<number, Group>>();
  // (local address index, local port) of a namespace's sockets -> accepted by a listener there.
  let incoming = new Map<number, boolean>();
  for (let i = 0; i < t.length; i++) {
    const st = t.state[i];
    const remotePort = t.remotePort[i];
    if (st === LISTEN || st === SYN_RECV || st === CLOSE || st === 0 || remotePort === 0) continue;
    if (t.netns[i] !== netns) {
      netns = t.netns[i];
      let known = rangeOf.get(netns);
      if (known === undefined) {
        const tunables = tunablesOf(snapshot, netns);
        const range = tunables['net.ipv4.ip_local_port_range'];
        known = range ? nsRange(tunables, range, listenersByNs.get(netns)) : null;
        rangeOf.set(netns, known);
      }
      r = known;
      byPort = listenersByNs.get(netns);
      incoming = new Map();
      const pairs = groups.get(netns);
      if (pairs) byPair = pairs;
      else groups.set(netns, (byPair = new Map()));
    }
    const localPort = t.localPort[i];
    if (r === null || localPort < r.lo || localPort > r.hi || (r.reservedCount > 0 && r.reserved(localPort))) continue;
    // A connection a listener accepted keeps the listener's port: it is incoming, not ours.
    if (byPort && byPort.has(localPort)) {
      const key = t.localAddress[i] * 65536 + localPort;
      let accepted = incoming.get(key);
      if (accepted === undefined) incoming.set(key, (accepted = findListenerOf(byPort, t.family[i], t.addresses[t.localAddress[i]], localPort) !== undefined));
      if (accepted) continue;
    }
    const local = bareOf[t.localAddress[i]];
    const remote = bareOf[t.remoteAddress[i]];
    const pair = local * ids + remote;
    let byRemotePort = byPair.get(pair);
    if (!byRemotePort) byPair.set(pair, (byRemotePort = new Map()));
    let g = byRemotePort.get(remotePort);
    if (!g) {
      g = newGroup(newUse(netns, remotePort, bareNames[local], bareNames[remote], r));
      byRemotePort.set(remotePort, g);
      all.push(g);
    }
    g.use.inUse++;
    g.states[st]++;
    const inode = t.inode[i];
    if (inode !== 0) forEachHolderPid(snapshot.owners, inode, g.bump);
  }
  for (const g of all) {
    g.states.forEach((n, st) => {
      if (n > 0) g.use.byState[TCP_STATES[st - 1]] = n;
    });
  }
  return all.map((g) => g.use).sort((a, b) => b.inUse / b.usable - a.inUse / a.usable || a.remotePort - b.remotePort);
}

/** A destination while the sockets are counted: states by kernel number, and the per-pid counter made once. */
interface Group {
  use: DestinationUse;
  states: Uint32Array;
  bump: (pid: number) => void;
}

function newGroup(use: DestinationUse): Group {
  const byPid = use.byPid;
  return { use, states: new Uint32Array(TCP_STATES.length + 1), bump: (pid) => void byPid.set(pid, (byPid.get(pid) ?? 0) + 1) };
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
  const reservedCount = countReserved(tunables, lo, hi);
  // Ports taken by bind() (listeners) in the range are skipped by connect() for every destination.
  let boundInRange = 0;
  for (const port of byPort?.keys() ?? []) if (port >= lo && port <= hi && !reserved(port)) boundInRange++;
  return { lo, hi, reserved, reservedCount, boundInRange, tunables };
}

function newUse(netns: number, remotePort: number, local: string, remote: string, r: NsRange): DestinationUse {
  const { reservedCount: reserved, boundInRange } = r;
  const twReuse = r.tunables['net.ipv4.tcp_tw_reuse'] ?? null;
  return {
    netns,
    localAddress: local,
    remoteAddress: remote,
    remotePort,
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
