/** The finding for one destination whose ephemeral ports run out (ephemeral-ports-exhausted / -near). */
import { namespaceOf } from '../../snapshot/namespaces.js';
import type { Snapshot, TcpState } from '../../snapshot/types.js';
import type { Finding, RuleOptions, SharedWork } from '../types.js';
import { destinationLabel, destinationUses, ephemeralLevel, type DestinationUse } from './ephemeral.js';
import { percent } from './levels.js';
import { describePid, inNetns, netnsSubject } from './refs.js';
import { shellQuote } from '../../safety/shell-quote.js';
import { plural } from './text.js';

export type EphemeralId = 'ephemeral-ports-exhausted' | 'ephemeral-ports-near';

const STATE_ORDER: TcpState[] = ['ESTABLISHED', 'TIME_WAIT', 'SYN_SENT', 'FIN_WAIT1', 'FIN_WAIT2', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSING'];

export function ephemeralFindings(id: EphemeralId, snapshot: Snapshot, options: RuleOptions, shared?: SharedWork): Finding[] {
  const want = id === 'ephemeral-ports-exhausted' ? 'exhausted' : 'near';
  return destinationUses(snapshot, shared)
    .filter((u) => ephemeralLevel(u, options) === want)
    .map((u) => ephemeralFinding(id, u, snapshot));
}

function ownerSubject(snapshot: Snapshot, pid: number | undefined): { pid?: number; name?: string } {
  if (pid === undefined) return {};
  const p = snapshot.processes.find((x) => x.pid === pid);
  return p ? { pid, name: p.name } : { pid };
}

function ephemeralFinding(id: EphemeralId, u: DestinationUse, snapshot: Snapshot): Finding {
  const dest = destinationLabel(u);
  const ns = namespaceOf(snapshot, u.netns);
  const where = ns && ns.kind !== 'host' ? ` in network namespace ${ns.name}` : '';
  const tw = u.byState.TIME_WAIT ?? 0;
  const owned = [...u.byPid.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const ownedCount = owned.reduce((a, [, n]) => a + n, 0);
  const states = STATE_ORDER.filter((s) => u.byState[s]).map((s) => `${u.byState[s]} ${s}`).join(', ');
  const owners = owned.length
    ? owned.slice(0, 5).map(([pid, n]) => `${describePid(snapshot, pid)} holds ${n}`).join(', ')
    : 'no process holds any of them';
  const parts = [
    `${u.inUse} local ports of ${u.localAddress}${where} are in use for connections to ${dest} (${states}); ` +
      `connect() can choose from ${u.usable}: net.ipv4.ip_local_port_range ${u.range[0]}-${u.range[1]}` +
      `${u.reserved ? `, less ${u.reserved} reserved (ip_local_reserved_ports)` : ''}` +
      `${u.boundInRange ? `, less ${u.boundInRange} taken by listeners` : ''}.`,
    `Owners: ${owners}${tw ? `; ${tw} in TIME_WAIT belong to no process (the kernel keeps them 60 s after the side that closed first)` : ''}` +
      `${u.inUse - ownedCount - tw > 0 ? `; ${u.inUse - ownedCount - tw} more have no visible owner (other users' processes without root, or orphaned)` : ''}.`,
    'A local port can serve many destinations at once: the kernel only needs the 4-tuple (source address, source port, destination address, destination port) to be unique ' +
      '(net/ipv4/inet_hashtables.c __inet_hash_connect). So the range runs out per destination, because the source address is fixed for it: ' +
      `new connections from ${u.localAddress} to ${dest} fail with EADDRNOTAVAIL ("Cannot assign requested address") while other destinations still work.`,
    u.timeWaitReusable
      ? `net.ipv4.tcp_tw_reuse = ${u.twReuse} lets connect() recycle a TIME_WAIT port once its last timestamp is over 1 s old, so the TIME_WAIT share delays rather than blocks.`
      : tw
        ? `net.ipv4.tcp_tw_reuse = ${u.twReuse ?? 'unknown'}: TIME_WAIT ports to this destination cannot be recycled, so they block new connections for 60 s each.`
        : '',
    tw > u.inUse / 2
      ? 'Most ports sit in TIME_WAIT: the client opens a new connection per request and closes it first; connection reuse (HTTP keep-alive, a pool) removes the churn.'
      : 'Most ports are held by open connections: the client keeps many connections to one destination, or leaks them (never closes).',
  ].filter(Boolean);
  const fix = [
    `ss -tan ${shellQuote(`dst ${u.remoteAddress.includes(':') ? `[${u.remoteAddress}]` : u.remoteAddress} and dport = :${u.remotePort}`)} | awk 'NR>1 {print $1}' | sort | uniq -c   # ports in use to ${dest}, by state`,
    '# reuse connections in the client: HTTP keep-alive or a connection pool (one connection per request burns a port for 60 s in TIME_WAIT)',
    `sysctl -w net.ipv4.ip_local_port_range="1024 65535"   # a wider range (keep clear of ports your servers listen on; reserve them with net.ipv4.ip_local_reserved_ports)`,
    ...(u.timeWaitReusable || tw === 0 ? [] : ['sysctl -w net.ipv4.tcp_tw_reuse=1   # outgoing connections may recycle TIME_WAIT ports (needs TCP timestamps; safe for clients)']),
    `# spread the load over more destination addresses or ports (several backend IPs), or more source addresses: each (source, destination) pair has its own ${u.usable} ports`,
    ...owned.slice(0, 2).map(([pid]) => `ls -l /proc/${pid}/fd | grep -c socket   # sockets of pid ${pid}: growing without load = a leak`),
  ];
  return {
    id,
    severity: id === 'ephemeral-ports-exhausted' ? 'critical' : 'warning',
    // The destination, and the process holding most of the ports (so --pid CLIENT keeps the finding).
    subject: { address: u.remoteAddress, port: u.remotePort, ...ownerSubject(snapshot, owned[0]?.[0]), ...netnsSubject(snapshot, u.netns) },
    title:
      id === 'ephemeral-ports-exhausted'
        ? `Local ports to ${dest}${inNetns(snapshot, u.netns)} are exhausted: ${u.inUse} of ${u.usable} in use${tw ? ` (${tw} TIME_WAIT)` : ''}`
        : `Local ports to ${dest}${inNetns(snapshot, u.netns)} are running out: ${u.inUse} of ${u.usable} (${percent(u.inUse, u.usable)}%)`,
    evidence: {
      netns: ns?.name ?? null,
      sourceAddress: u.localAddress,
      inUse: u.inUse,
      usable: u.usable,
      usedPercent: percent(u.inUse, u.usable),
      portRange: `${u.range[0]}-${u.range[1]}`,
      reservedInRange: u.reserved,
      boundInRange: u.boundInRange,
      established: u.byState.ESTABLISHED ?? 0,
      timeWait: tw,
      synSent: u.byState.SYN_SENT ?? 0,
      tcpTwReuse: u.twReuse,
      ownerPids: owned.map(([pid]) => pid).join(',') || null,
    },
    explain: parts.join(' '),
    fix,
  };
}
