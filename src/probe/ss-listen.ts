/**
 * The fallback source of listen backlog limits: `ss -ltnHe` (iproute2), which reads the same
 * sock_diag answer as the native addon and prints sk_max_ack_backlog as Send-Q of a LISTEN socket.
 *
 * A line looks like
 *   LISTEN 0      128    127.0.0.1:8080      0.0.0.0:*    uid:1000 ino:4711 sk:1 cgroup:/ <->
 * Addresses: "0.0.0.0", "127.0.0.53%lo" (bound to a device), "[::1]", "[::ffff:127.0.0.1]", and
 * "*" for a dual-stack IPv6 wildcard (older ss printed "*" for the IPv4 wildcard too).
 */
import { unsignedDecimal } from './kernel-number.js';
import { spawnSync } from 'node:child_process';
import { formatIPv4Bytes, formatIPv6Bytes, parseIPv4Text, parseIPv6Text } from './inet-address.js';
import { ParseError } from './read-file.js';

/** The flags sockdoc runs ss with: listening TCP, numeric, no header, extended (ino:). */
export const SS_ARGS = ['-ltnHe'];

export interface SsListener {
  family: 4 | 6;
  /** Formatted like /proc/net/tcp addresses (RFC 5952 for IPv6). */
  address: string;
  port: number;
  /** Current accept-queue length. */
  recvQ: number;
  /** The backlog limit (sk_max_ack_backlog). */
  sendQ: number;
  inode: number;
}

/** "[::1]" / "127.0.0.53%lo" / "*" -> the candidate (family, address) pairs it can mean. */
function addressCandidates(text: string): Array<{ family: 4 | 6; address: string }> | null {
  let s = text;
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct) + (s.endsWith(']') ? ']' : '');
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (s === '*') {
    // The inode in the key keeps the extra candidate from ever matching another socket.
    return [
      { family: 6, address: '::' },
      { family: 4, address: '0.0.0.0' },
    ];
  }
  if (s.includes(':')) {
    const b = parseIPv6Text(s);
    return b ? [{ family: 6, address: formatIPv6Bytes(b, 0) }] : null;
  }
  const b = parseIPv4Text(s);
  return b ? [{ family: 4, address: formatIPv4Bytes(b, 0) }] : null;
}

/**
 * Parses `ss -ltnHe` output. Throws ParseError for a line that is not a LISTEN socket with numeric
 * queues, a parsable local address and an "ino:" field.
 * @example parseSsListen('LISTEN 0 128 127.0.0.1:8080 0.0.0.0:* ino:4711 sk:1 <->\n')[0].sendQ // 128
 */
export function parseSsListen(text: string, file = 'ss -ltnHe'): SsListener[] {
  const out: SsListener[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const fail = (reason: string): never => {
      throw new ParseError(file, i + 1, reason);
    };
    const t = line.split(/\s+/);
    if (t[0] !== 'LISTEN') fail('expected a LISTEN socket');
    if (t.length < 5) fail('fewer than 5 columns');
    // u32 in the kernel (sk_ack_backlog, sk_max_ack_backlog).
    const recvQ = unsignedDecimal(t[1], 0xffffffff) as number;
    const sendQ = unsignedDecimal(t[2], 0xffffffff) as number;
    if (recvQ === null || sendQ === null) fail('Recv-Q/Send-Q not 32-bit numbers');
    const local = t[3];
    const colon = local.lastIndexOf(':');
    const port = Number(local.slice(colon + 1));
    if (colon <= 0 || !/^\d+$/.test(local.slice(colon + 1)) || port > 65535) fail('no port in the local address');
    const candidates = addressCandidates(local.slice(0, colon));
    if (!candidates) fail('unparsable local address');
    const ino = t.find((x) => x.startsWith('ino:'));
    const inode = ino ? unsignedDecimal(ino.slice(4), 0xffffffff) : null;
    if (inode === null) fail('no "ino:N" field with a 32-bit inode (ss run without -e?)');
    for (const c of candidates as Array<{ family: 4 | 6; address: string }>) {
      out.push({ family: c.family, address: c.address, port, recvQ, sendQ, inode: inode as number });
    }
  }
  return out;
}

/**
 * Runs `ss -ltnHe` and returns its output. Throws the spawn error (ENOENT: not installed) or an
 * Error with ss's stderr when it exits non-zero.
 */
export function runSsListen(): string {
  const r = spawnSync('ss', SS_ARGS, { encoding: 'utf8', timeout: 10_000, maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`ss ${SS_ARGS.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr.trim()}`);
  return r.stdout;
}
