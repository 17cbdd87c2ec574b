/**
 * `--listen HOST:PORT`: where `sockdoc serve` accepts scrapes. Loopback by default: the metrics name
 * every process, listener and container of the host, which is not for every network to read.
 */

/**
 * The default port: marked FREE in the exporter port list of the Prometheus wiki
 * ("Default port allocations", the copy read for this choice). Its range 9100-9999 has since been
 * reported full, so a clash with another exporter is possible: pass --listen.
 */
export const DEFAULT_PORT = 9659;
export const DEFAULT_LISTEN = `127.0.0.1:${DEFAULT_PORT}`;

export interface ListenAddress {
  /** An IPv4 or IPv6 literal, or "localhost" (no DNS: a name that resolves elsewhere is refused). */
  host: string;
  /** 1..65535, or 0 to let the kernel pick a free port (tests). */
  port: number;
  /**
   * ":PORT": every address of both families. Bound as "::" with IPV6_V6ONLY off (IPv4 clients
   * arrive as ::ffff:a.b.c.d, ipv6(7)); on a host without IPv6, as 0.0.0.0.
   */
  anyFamily?: boolean;
}

/** Thrown for a --listen value that cannot be an address; the message quotes it. */
export class ListenError extends Error {
  override name = 'ListenError';
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
// Hex groups and colons, optionally a trailing dotted quad (::ffff:127.0.0.1); node's net module
// rejects what still is not an address when it binds.
const IPV6 = /^[0-9a-fA-F:]+(:\d+\.\d+\.\d+\.\d+)?$/;

/**
 * Parses "127.0.0.1:9659", "[::1]:9659", "localhost:9659", "0.0.0.0:9659" (every IPv4 address)
 * or ":9659" (every address, IPv4 and IPv6, as Prometheus exporters spell it).
 * @throws ListenError naming the bad value.
 */
export function parseListen(text: string): ListenAddress {
  const bad = (why: string) => new ListenError(`--listen '${text}': ${why}`);
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  if (!m) throw bad('expected HOST:PORT, e.g. 127.0.0.1:9659 or [::1]:9659');
  const port = Number(m[3]);
  if (port > 65535) throw bad(`port ${port} is above 65535`);
  if (m[1] !== undefined) {
    if (!m[1].includes(':') || !IPV6.test(m[1])) throw bad(`'${m[1]}' is not an IPv6 address`);
    return { host: m[1], port };
  }
  if (m[2] === '') return { host: '::', port, anyFamily: true };
  const host = m[2];
  if (host !== 'localhost' && !IPV4.test(host)) throw bad(`'${host}' is not an IPv4 address (IPv6 goes in brackets: [::1]:${port})`);
  return { host, port };
}

/** True when only this machine can connect (127.0.0.0/8, ::1, localhost). */
export function isLoopback(a: ListenAddress): boolean {
  return a.host === 'localhost' || a.host === '::1' || a.host.startsWith('127.') || a.host === '::ffff:127.0.0.1';
}

/** "127.0.0.1:9659" / "[::1]:9659", the form a browser and Prometheus' static_configs take. */
export function formatListen(a: ListenAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
