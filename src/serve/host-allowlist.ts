/**
 * Which names `sockdoc serve` answers to (the Host header). DNS rebinding: a page on any web site
 * whose name the attacker then points at 127.0.0.1 reads the exporter as its own origin — the
 * browser sends the attacker's name in Host, which is the one thing the exporter can check. So a
 * request is served only when its Host is one of the exporter's own names:
 * - an address it listens on, as an IP literal (IPv6 in brackets); on a wildcard listen (0.0.0.0,
 *   `::`, `:PORT`) the address the connection came in on or any address of this host's interfaces;
 * - `localhost` (the resolver never asks DNS for it: RFC 6761 §6.3);
 * - a name given with `--allow-host NAME` (or `NAME:PORT`).
 * Each with no port or with the port the connection came in on (a tunnel or a proxy that changes
 * the port: `--allow-host localhost:8080`). Names are compared case-insensitively and without one
 * trailing dot; IP literals in their canonical form (WHATWG URL host parser: `[0:0::1]` is `[::1]`,
 * `127.0.0.1.` is `127.0.0.1`; an IPv4-mapped IPv6 literal as its IPv4 address).
 * No Host at all is served for HTTP/1.0 only: every browser sends one (HTTP/1.1 without it is
 * refused by node itself, RFC 9112 §3.2). Two Host headers, an absolute-form request target (this
 * is not a proxy) and a Host that is not a host are refused with 400.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';

/** One `--allow-host` value: a name or an IP literal, and the one port it is allowed with (null: the serving port). */
export interface AllowedHost {
  host: string;
  port: number | null;
}

export class AllowHostError extends Error {
  override name = 'AllowHostError';
}

/** A Host header (or --allow-host value) split and canonicalised; null when it is not a host[:port]. */
export function parseHostHeader(text: string): AllowedHost | null {
  // uri-host [ ":" port ] (RFC 9110 §7.2), restricted to what a name or an address can hold: no
  // userinfo, no percent-encoding, no spaces (a reg-name may hold more, but no name of ours does).
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{0,5}))?$/.exec(text);
  if (!m) return null;
  const port = m[2] === undefined || m[2] === '' ? null : Number(m[2]);
  if (port !== null && (port < 1 || port > 65535)) return null;
  let host: string;
  try {
    host = new URL(`http://${m[1]}/`).hostname;
  } catch {
    return null; // "1.2.3.4.5", "[::1::]": looks like an address, is none
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host === '') return null;
  return { host: canonicalIp(host) ?? host, port };
}

/** "127.0.0.1", "[::1]" (brackets as in a Host header) for an IP literal, null for a name. */
export function canonicalIp(text: string): string | null {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (isIPv4(bare)) return bare;
  if (!isIPv6(bare)) return null;
  const host = new URL(`http://[${bare}]/`).hostname; // compressed, lower case
  // An IPv4-mapped address is the IPv4 address (a dual-stack socket reports IPv4 peers that way).
  const mapped = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/.exec(host);
  if (mapped) {
    const hi = parseInt(mapped[1], 16);
    const lo = parseInt(mapped[2], 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return host;
}

/** `--allow-host VALUE`: a name or an IP literal, optionally with :PORT. @throws AllowHostError */
export function parseAllowHost(text: string): AllowedHost {
  const parsed = parseHostHeader(text.trim());
  if (!parsed) throw new AllowHostError(`--allow-host '${text}': expected a host name or an IP address, optionally with :PORT (e.g. metrics.example.com, 10.0.0.5, [fd00::5], localhost:8080)`);
  return parsed;
}

/** What one request carries that the check needs (from node's IncomingMessage). */
export interface HostRequest {
  /** Every Host header as received (req.rawHeaders): none, one, or a forged second one. */
  hosts: string[];
  httpVersion: string;
  url: string;
  /** The address and port the connection came in on (req.socket.localAddress/localPort). */
  localAddress: string | undefined;
  localPort: number | undefined;
}

export type HostVerdict = { ok: true } | { ok: false; status: 400 | 421; why: string; host: string };

export interface HostAllowlistOptions {
  /** The address bound (after the bind: `::` or `0.0.0.0` for a wildcard). */
  listenHost: string;
  allow: readonly AllowedHost[];
  /** This host's interface addresses (canonical); os.networkInterfaces() by default, read when needed. */
  interfaceAddresses?: () => string[];
}

function osInterfaceAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      const ip = canonicalIp(a.address.replace(/%.*$/, '')); // a link-local address carries its zone
      if (ip) out.push(ip);
    }
  }
  return out;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);

/** The Host check of one exporter (listen address and --allow-host values fixed at start). */
export class HostAllowlist {
  private readonly listenIp: string | null;
  private readonly wildcard: boolean;
  private readonly allow: readonly AllowedHost[];
  private readonly interfaces: () => string[];

  constructor(options: HostAllowlistOptions) {
    this.wildcard = WILDCARDS.has(options.listenHost);
    this.listenIp = this.wildcard ? null : canonicalIp(options.listenHost);
    this.allow = options.allow;
    this.interfaces = options.interfaceAddresses ?? osInterfaceAddresses;
  }

  /** The names a person may use, for the refusal's log line and the docs ("127.0.0.1, localhost, …"). */
  describe(): string {
    const own = this.wildcard ? 'any address of this host' : this.listenIp ?? 'the listen address';
    const extra = this.allow.map((a) => (a.port === null ? a.host : `${a.host}:${a.port}`));
    return [own, 'localhost', ...extra].join(', ');
  }

  check(req: HostRequest): HostVerdict {
    if (req.hosts.length > 1) return { ok: false, status: 400, why: 'more than one Host header', host: req.hosts.join(', ') };
    if (!req.url.startsWith('/') && req.url !== '*') return { ok: false, status: 400, why: 'an absolute-form request target (this is not a proxy)', host: req.hosts[0] ?? '' };
    if (req.hosts.length === 0) {
      // HTTP/1.0 without Host: no browser sends that, so no rebinding rides on it (curl -0, old checks).
      return req.httpVersion === '1.0' ? { ok: true } : { ok: false, status: 400, why: 'no Host header', host: '' };
    }
    const raw = req.hosts[0];
    const parsed = parseHostHeader(raw);
    if (!parsed) return { ok: false, status: 400, why: 'a Host header that is not a host[:port]', host: raw };
    if (this.allows(parsed, req)) return { ok: true };
    return { ok: false, status: 421, why: 'a name this exporter does not answer to', host: raw };
  }

  private allows(h: AllowedHost, req: HostRequest): boolean {
    const servingPort = h.port === null || h.port === req.localPort;
    for (const a of this.allow) {
      if (a.host !== h.host) continue;
      if (a.port === null ? servingPort : a.port === h.port) return true;
    }
    if (!servingPort) return false;
    if (h.host === 'localhost') return true;
    if (!canonicalIp(h.host)) return false; // a name, and not an allowed one
    if (this.listenIp !== null) return h.host === this.listenIp;
    // Wildcard: the address the client reached, or any of this host's (a request through another of them).
    const local = req.localAddress ? canonicalIp(req.localAddress.replace(/%.*$/, '')) : null;
    return h.host === local || this.interfaces().includes(h.host);
  }
}
