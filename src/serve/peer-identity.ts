/**
 * Who is at the other end of a connection to `sockdoc serve`, for counting connections per peer
 * (connection-limits.ts). All local users reach a loopback exporter from 127.0.0.1, so an address
 * cannot tell Prometheus from a user holding hundreds of idle connections. A client in this same
 * network namespace has its own socket in the kernel's table, whose local end is the accepted
 * connection's remote end: one exact sock_diag lookup (native/sockpeer.c) gives its uid, and the
 * peer is that user. A client elsewhere (another host, a container's namespace) is its address —
 * for IPv6 its /64, the block one host gets (RFC 4291 §2.5.4 leaves a site the low 64 bits).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { loadNativeAddon } from '../probe/native.js';

export interface Peer {
  /** Stable key: "uid:1000", "ip:10.0.0.7", "net6:2001:db8:1:2::/64". */
  key: string;
  /** For a person: "uid 1000", "10.0.0.7", "2001:db8:1:2::/64". */
  label: string;
}

/** The uid of the local socket client:clientPort -> server:serverPort, or null (not local, gone, no addon). */
export type UidLookup = (client: string, clientPort: number, server: string, serverPort: number) => number | null;

/** "::ffff:127.0.0.1" -> "127.0.0.1" (a dual-stack socket reports IPv4 peers that way, ipv6(7)). */
export function unmapped(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1] : address;
}

/** 16 network-order bytes of an IPv6 address (node's own parser, via a URL host: no regex of ours). */
function ipv6Bytes(address: string): Buffer {
  const host = new URL(`http://[${address.replace(/%.*$/, '')}]/`).hostname.slice(1, -1);
  const [head, tail = ''] = host.includes('::') ? host.split('::') : [host, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = host.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

function ipv4Bytes(address: string): Buffer {
  return Buffer.from(address.split('.').map(Number));
}

/** The lookup through the native addon, or null when the addon is missing or older than it. */
export function nativeUidLookup(): UidLookup | null {
  let addon;
  try {
    addon = loadNativeAddon();
  } catch {
    return null;
  }
  const find = addon.inetDiagPeerUid;
  if (typeof find !== 'function') return null;
  return (client, clientPort, server, serverPort) => {
    const c = unmapped(client);
    const s = unmapped(server);
    let r: number;
    if (isIPv4(c) && isIPv4(s)) r = find(2, ipv4Bytes(c), clientPort, ipv4Bytes(s), serverPort);
    else if (isIPv6(client) && isIPv6(server)) r = find(10, ipv6Bytes(client), clientPort, ipv6Bytes(server), serverPort);
    else return null;
    return r >= 0 ? r : null;
  };
}

/** The /64 of an IPv6 address, as "2001:db8:1:2::/64". */
function prefix64(address: string): string {
  const b = ipv6Bytes(address);
  const groups = [0, 2, 4, 6].map((i) => b.readUInt16BE(i).toString(16));
  return `${groups.join(':')}::/64`;
}

/** The peer of one connection. */
export function identifyPeer(remote: { address?: string; port?: number }, local: { address?: string; port?: number }, lookup: UidLookup | null): Peer {
  const address = remote.address ?? '';
  if (lookup && remote.port !== undefined && local.address !== undefined && local.port !== undefined) {
    const uid = lookup(address, remote.port, local.address, local.port);
    if (uid !== null) return { key: `uid:${uid}`, label: `uid ${uid}` };
  }
  const plain = unmapped(address).replace(/%.*$/, ''); // a link-local peer carries its zone
  if (isIPv6(plain)) {
    const net = prefix64(plain);
    return { key: `net6:${net}`, label: net };
  }
  return { key: `ip:${plain}`, label: plain || 'unknown address' };
}
