/**
 * /proc/net/sockstat: socket counts and protocol memory (net/ipv4/proc.c `sockstat_seq_show`):
 *   "TCP: inuse %d orphan %d tw %d alloc %d mem %ld"
 * `inuse` and `tw` are of the reader's network namespace; `orphan`, `alloc` and `mem` are
 * host-wide (tcp_orphan_count, tcp_sockets_allocated, tcp_memory_allocated). `mem` is in pages,
 * the unit of net.ipv4.tcp_mem.
 */
import { outcomeOf, ParseError, readUnder, runProbe, under } from './read-file.js';
import type { ProbeReport, Sockstat } from '../snapshot/types.js';

/**
 * Parses every "PROTO: key value key value ..." line into "PROTO.key" -> value.
 * Throws ParseError for a line without "PROTO:" or with an odd key/value list or a non-integer.
 * @example parseSockstatText('TCP: inuse 3 orphan 0\n')['TCP.inuse'] // 3
 */
export function parseSockstatText(text: string, file = 'proc/net/sockstat'): Record<string, number> {
  const out: Record<string, number> = {};
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const m = /^([A-Za-z0-9]+):\s*(.*)$/.exec(line);
    if (!m) throw new ParseError(file, i + 1, 'expected "PROTO: key value ..."');
    const f = m[2].trim().split(/\s+/);
    if (f.length % 2 !== 0) throw new ParseError(file, i + 1, 'odd number of fields after the protocol: expected key value pairs');
    for (let k = 0; k < f.length; k += 2) {
      if (!/^-?\d+$/.test(f[k + 1])) throw new ParseError(file, i + 1, `value ${k / 2 + 1} is not an integer`);
      out[`${m[1]}.${f[k]}`] = Number(f[k + 1]);
    }
  });
  return out;
}

/** The TCP line as a Sockstat; ParseError when a field is missing. */
export function parseSockstat(text: string, file = 'proc/net/sockstat'): Sockstat {
  const v = parseSockstatText(text, file);
  const get = (k: string): number => {
    const x = v[`TCP.${k}`];
    if (x === undefined) throw new ParseError(file, 1, `no "TCP: ... ${k} N" in the file`);
    return x;
  };
  return { tcpInuse: get('inuse'), tcpOrphan: get('orphan'), tcpTimeWait: get('tw'), tcpAlloc: get('alloc'), tcpMemPages: get('mem') };
}

export function readSockstat(root = '/'): { value: Sockstat | null; report: ProbeReport } {
  const path = under(root, 'proc/net/sockstat');
  return runProbe('sockstat', path, () => parseSockstat(readUnder(root, 'proc/net/sockstat', 'proc'), path));
}

/**
 * Does a namespace's sockstat count no socket at all? "sockets: used N" is sock_inuse_get(net)
 * (net/socket.c socket_seq_show): every socket a program made in the namespace, of any family (unix,
 * TCP, UDP, netlink, ...), accepted connections included (sk_alloc and sk_clone_lock count each
 * non-kernel socket in its namespace, __sk_free takes it off); per namespace since Linux 4.16 (before,
 * host-wide: never 0 on a host, so nothing is ever called empty there). "TCP: inuse" and "TCP6:
 * inuse" also count the kernel's own hashed TCP sockets, "tw" the TIME_WAIT ones (which `used` does
 * not). All four 0: nothing in the namespace can queue, drop, leak or wait on a connection.
 * `sockstat6` null: no IPv6 in this kernel (no file), none. Throws ParseError for a file that does not parse.
 * @example sockstatEmpty('sockets: used 0\nTCP: inuse 0 orphan 0 tw 0 alloc 0 mem 0\n', 'TCP6: inuse 0\n') // true
 */
export function sockstatEmpty(sockstat: string, sockstat6: string | null, file = 'proc/net/sockstat'): boolean {
  const v = parseSockstatText(sockstat, file);
  if (v['sockets.used'] !== 0 || v['TCP.inuse'] !== 0 || v['TCP.tw'] !== 0) return false;
  return sockstat6 === null || parseSockstatText(sockstat6, `${file}6`)['TCP6.inuse'] === 0;
}

/**
 * sockstatEmpty of ROOT/NETDIR/sockstat{,6} (the reader's namespace: proc/net; a process's:
 * proc/PID/net; a capture's: netns/INODE/proc/net); false when unreadable or unparsable: any doubt,
 * not empty.
 */
export function readSockstatEmpty(root: string, netDir = 'proc/net'): boolean {
  try {
    const text = readUnder(root, `${netDir}/sockstat`, 'proc');
    let six: string | null = null;
    try {
      six = readUnder(root, `${netDir}/sockstat6`, 'proc');
    } catch (err) {
      if (outcomeOf(err) !== 'absent') return false;
    }
    return sockstatEmpty(text, six, under(root, netDir, 'sockstat'));
  } catch {
    return false;
  }
}
