/**
 * /proc/net/sockstat: socket counts and protocol memory (net/ipv4/proc.c `sockstat_seq_show`):
 *   "TCP: inuse %d orphan %d tw %d alloc %d mem %ld"
 * `inuse` and `tw` are of the reader's network namespace; `orphan`, `alloc` and `mem` are
 * host-wide (tcp_orphan_count, tcp_sockets_allocated, tcp_memory_allocated). `mem` is in pages,
 * the unit of net.ipv4.tcp_mem.
 */
import { ParseError, readUnder, runProbe, under } from './read-file.js';
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
