/**
 * `ss -tanpH` lines and `sockdoc sockets --json` rows in one comparable shape, for the test that
 * checks sockdoc against ss (src/cli/sockets-vs-ss.test.ts). ss reads sock_diag, sockdoc reads
 * /proc/net/tcp{,6}; both map inode -> pid through /proc/PID/fd, so they must agree.
 */
import { SS_STATE_NAMES, type TcpState } from '../../src/snapshot/types.js';

/** ss's state names -> kernel names (shared with `sockdoc sockets --state`). */
export const SS_STATES = SS_STATE_NAMES;

export interface OwnerRef {
  pid: number;
  name: string;
  fd: number;
}

/** One socket as both tools describe it. Addresses "a.b.c.d:port" or "[v6]:port". */
export interface SocketRow {
  state: TcpState;
  local: string;
  remote: string;
  recvQ: number;
  sendQ: number;
  owners: OwnerRef[];
}

/**
 * Canonical "addr:port": ss prints an unset port as "*", a dual-stack IPv6 wildcard (not
 * IPV6_V6ONLY) as "*" (misc/ss.c `inet_addr_print`), and a bound device as "addr%dev".
 */
export function normalizeEndpoint(text: string): string {
  const cut = text.lastIndexOf(':');
  if (cut < 0) throw new Error(`endpoint without a port: "${text}"`);
  let addr = text.slice(0, cut);
  const port = text.slice(cut + 1) === '*' ? '0' : text.slice(cut + 1);
  if (addr === '*') addr = '[::]';
  addr = addr.replace(/%[^\]]*(?=\]?$)/, '');
  if (!/^\d+$/.test(port)) throw new Error(`bad port in "${text}"`);
  return `${addr}:${Number(port)}`;
}

const USER = /\("((?:[^"\\]|\\.)*)",pid=(\d+),fd=(\d+)\)/g;

/** Parses one line of `ss -tanpH`: State Recv-Q Send-Q Local Peer [users:((...))]. */
export function parseSsLine(line: string): SocketRow {
  const f = line.trim().split(/\s+/);
  if (f.length < 5) throw new Error(`ss line with ${f.length} fields: "${line}"`);
  const state = SS_STATES[f[0]];
  if (!state) throw new Error(`unknown ss state "${f[0]}" in "${line}"`);
  const owners: OwnerRef[] = [];
  for (const m of f.slice(5).join(' ').matchAll(USER)) owners.push({ name: m[1], pid: Number(m[2]), fd: Number(m[3]) });
  return { state, recvQ: Number(f[1]), sendQ: Number(f[2]), local: normalizeEndpoint(f[3]), remote: normalizeEndpoint(f[4]), owners };
}

export function parseSs(text: string): SocketRow[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(parseSsLine);
}

/** `sockdoc sockets --json`: an array of rows, or {sockets: rows}. */
export function parseSockdocJson(text: string): SocketRow[] {
  const doc = JSON.parse(text) as unknown;
  const rows = Array.isArray(doc) ? doc : (doc as { sockets?: unknown }).sockets;
  if (!Array.isArray(rows)) throw new Error('sockdoc sockets --json: no array of sockets');
  return rows.map((r: Record<string, unknown>) => ({
    state: r.state as TcpState,
    local: normalizeEndpoint(String(r.local)),
    remote: normalizeEndpoint(String(r.remote)),
    recvQ: Number(r.recvQ),
    sendQ: Number(r.sendQ),
    owners: ((r.owners ?? []) as OwnerRef[]).map((o) => ({ pid: o.pid, name: o.name, fd: o.fd })),
  }));
}

/**
 * A sorted, comparable form. For LISTEN, Send-Q is left out: ss shows the backlog limit there
 * (sock_diag `wqueue` = sk_max_ack_backlog, net/ipv4/tcp_diag.c) which /proc/net/tcp lacks.
 */
export function comparable(rows: SocketRow[]): string[] {
  return rows
    .map((r) => {
      const owners = [...r.owners].sort((a, b) => a.pid - b.pid || a.fd - b.fd).map((o) => `${o.name}/${o.pid}/${o.fd}`);
      const sendQ = r.state === 'LISTEN' ? '' : ` sendQ=${r.sendQ}`;
      return `${r.state} ${r.local} ${r.remote} recvQ=${r.recvQ}${sendQ} owners=[${owners.join(',')}]`;
    })
    .sort();
}
